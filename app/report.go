package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/integrity"
	"github.com/ordos-union/ledger/projections"
)

// ReportRequest asks for the printable report of one month, for the whole
// federation or one region, all campaigns or one.
type ReportRequest struct {
	Month    string // YYYY-MM
	County   string
	Campaign string
	// Through binds the report to the log's first Through events; 0 is the
	// newest signed checkpoint's size.
	Through uint64
	// ownMonthChanges lists only the voids and corrections dated in the
	// month, as reports sealed ledger-report/1 and /2 did.
	ownMonthChanges bool
	// sealVersion is the version the report is sealed as: the seal's
	// being verified; 0 is reportSealCurrent.
	sealVersion int
}

// MonthReport is what a printed monthly report shows, bound to a signed
// checkpoint: the figures of the entries that occurred in the month, as
// the log's first Checkpoint.Size events say, and the voids and
// corrections of the month with their reasons.
type MonthReport struct {
	Month    string `json:"month"`
	County   string `json:"county,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	// Rows are the regions' figures for the month; All sums them.
	Rows    []projections.Row        `json:"rows"`
	All     []projections.Row        `json:"all"`
	Changes []projections.AuditEntry `json:"changes"`
	// Trend is a campaign report's months, from the campaign's first
	// month with entries through the report's month, each summed over the
	// report's regions: the figures the printed trend chart draws. It is
	// empty unless the report is of one campaign, and the seal binds it.
	Trend []projections.Row `json:"trend,omitempty"`
	// Checkpoint is the signed checkpoint the figures are bound to, and
	// Signed the signed note itself.
	Checkpoint integrity.Checkpoint `json:"-"`
	Signed     string               `json:"signed_checkpoint"`
	// Seal is the one line the report's QR code carries: the parameters,
	// the checkpoint's size and root, and a digest of the figures.
	Seal string `json:"seal"`
}

// ReportSeal is a printed report's seal, read back.
type ReportSeal struct {
	// Version is the seal's format: 1 binds the month's figures and
	// changes, 2 also the campaign's trend, 3 every figure the page prints
	// (the trend too, when there is one), 4 as 3 with the page's region
	// named in its language and its signing time said to be Beijing time.
	Version                 int
	Month, County, Campaign string
	Size                    uint64
	Root                    string
	Figures                 string
}

// ErrReportMismatch says a printed report is not what the signed log says.
var ErrReportMismatch = errors.New("the report does not match the signed log")

// reportSealPrefix starts every seal, followed by its version.
const reportSealPrefix = "ledger-report/"

// Seal versions. Version 1 sealed a report without a trend and version 2
// one with its trend; their pages were checked only in the region table
// and the trend, and they listed only the voids and corrections dated in
// the month; such seals still verify as they did. Every report is now
// sealed as version 3: its page binds every figure it prints (the groups,
// goods, services, voids and corrections and the footer too), it also
// lists the voids and corrections dated later that land in the month
// (their targets occurred in it), and its digest covers its version, so
// a page cannot pass for an older one by rewriting the seal's version and
// dropping its bound cells: the older digest is of data the page does not
// print (event IDs, pledges), which an editor of the page alone cannot
// compute. Version 4 prints the page as version 3 did but for two words:
// the line under the title names the report's region in the page's
// language alone (乌审旗, or Uxin; version 3 printed "乌审旗 Uxin" on both),
// and the footer says the checkpoint's signing time is Beijing time. A
// page is compared whole with the page printed again, so a page sealed as
// version 3 is printed again as version 3 printed it, and still verifies.
const (
	reportSealFigures   = 1
	reportSealTrend     = 2
	reportSealEvery     = 3
	reportSealLocalized = 4
	reportSealCurrent   = reportSealLocalized
)

// ReportSealEvery is the first seal version whose page binds every figure
// it prints; report.VerifyPrinted compares such a page whole with the page
// printed again from the recomputed report.
const ReportSealEvery = reportSealEvery

// ReportSealLocalized is the first seal version whose page names its
// region in the page's language and its signing time as Beijing time.
const ReportSealLocalized = reportSealLocalized

// Report is the monthly report, bound to the newest signed checkpoint (or
// to request.Through). Errors name the fields month, county and campaign.
func (l *Ledger) Report(ctx context.Context, request ReportRequest) (*MonthReport, error) {
	start, err := time.ParseInLocation("2006-01", request.Month, domain.Beijing)
	if err != nil {
		return nil, invalid("month", "must be a month such as 2022-06")
	}
	if err := checkFilters(l.parts.Catalog, request.County, request.Campaign); err != nil {
		return nil, err
	}
	if l.parts.Signed == nil {
		return nil, fmt.Errorf("report: this ledger keeps no signed checkpoints: %w", domain.ErrNotFound)
	}
	signed, checkpoint, err := l.checkpointFor(ctx, request.Through)
	if err != nil {
		return nil, err
	}
	size := uint64(checkpoint.Size)
	end := start.AddDate(0, 1, 0).Add(-time.Nanosecond)
	totals, err := projections.FoldTotals(ctx, l.parts.Store, projections.TotalsOptions{From: start, AsOf: end, Through: size}, time.Time{}, request.Campaign)
	if err != nil {
		return nil, err
	}
	answer, err := totals.Query(projections.Query{County: request.County, Campaign: request.Campaign, By: projections.ByMonth})
	if err != nil {
		return nil, err
	}
	report := &MonthReport{Month: request.Month, County: request.County, Campaign: request.Campaign, Rows: []projections.Row{},
		All: []projections.Row{}, Checkpoint: checkpoint, Signed: string(signed)}
	for _, row := range answer.Rows {
		if row.Period == request.Month {
			report.Rows = append(report.Rows, row)
		}
	}
	for _, row := range answer.All {
		if row.Period == request.Month {
			report.All = append(report.All, row)
		}
	}
	changes, err := l.monthChanges(ctx, request, start, end, size)
	if err != nil {
		return nil, err
	}
	report.Changes = changes
	if request.ownMonthChanges {
		report.Changes = ownMonth(changes, start, end)
	}
	if request.Campaign != "" {
		if report.Trend, err = l.campaignTrend(ctx, request, end, size); err != nil {
			return nil, err
		}
	}
	version := request.sealVersion
	if version == 0 {
		version = reportSealCurrent
	}
	digest, err := figuresDigest(report, version)
	if err != nil {
		return nil, err
	}
	report.Seal = strings.Join([]string{reportSealPrefix + strconv.Itoa(version), "month=" + request.Month, "county=" + request.County,
		"campaign=" + request.Campaign, "size=" + strconv.FormatUint(size, 10),
		"root=" + base64.StdEncoding.EncodeToString(checkpoint.Root[:]), "figures=" + digest}, " ")
	return report, nil
}

// checkpointFor is the newest signed checkpoint, or the one of size through.
func (l *Ledger) checkpointFor(ctx context.Context, through uint64) ([]byte, integrity.Checkpoint, error) {
	if through == 0 {
		signed, err := l.parts.Signed.Latest(ctx)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, integrity.Checkpoint{}, fmt.Errorf("report: no signed checkpoint yet: sign one (`ledger checkpoint`) so the report can be bound to it: %w", err)
		}
		if err != nil {
			return nil, integrity.Checkpoint{}, err
		}
		checkpoint, err := integrity.ParseCheckpointNote(signed)
		return signed, checkpoint, err
	}
	all, err := l.parts.Signed.All(ctx)
	if err != nil {
		return nil, integrity.Checkpoint{}, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		checkpoint, err := integrity.ParseCheckpointNote(all[i])
		if err == nil && uint64(checkpoint.Size) == through {
			return all[i], checkpoint, nil
		}
	}
	return nil, integrity.Checkpoint{}, fmt.Errorf("report: no signed checkpoint of %d events: %w", through, domain.ErrNotFound)
}

// campaignTrend is a campaign's figures per month, from its first entry
// through the end of the report's month, among the first size events,
// summed over the report's region (or all regions). It comes from the
// same fold as the month's figures, so the trend's last month is the
// month's total.
func (l *Ledger) campaignTrend(ctx context.Context, request ReportRequest, end time.Time, size uint64) ([]projections.Row, error) {
	totals, err := projections.FoldTotals(ctx, l.parts.Store, projections.TotalsOptions{AsOf: end, Through: size}, time.Time{}, request.Campaign)
	if err != nil {
		return nil, err
	}
	answer, err := totals.Query(projections.Query{County: request.County, Campaign: request.Campaign, By: projections.ByMonth})
	if err != nil {
		return nil, err
	}
	return answer.All, nil
}

// monthChanges are the voids and corrections, among the first size
// events, that change the month's figures or are dated in it, with their
// reasons: those dated in the month, and those of entries that occurred
// in the month, whenever dated (the totals count a change on its
// target's day, so a void dated in December of a June entry lands in
// June).
func (l *Ledger) monthChanges(ctx context.Context, request ReportRequest, start, end time.Time, size uint64) ([]projections.AuditEntry, error) {
	changes := []projections.AuditEntry{}
	filter := eventstore.Filter{County: request.County}
	if request.Campaign != "" {
		filter.AggregateKind, filter.AggregateID = domain.AggregateCampaign, request.Campaign
	}
	in := func(instant time.Time) bool { return !instant.Before(start) && !instant.After(end) }
	for record, err := range l.parts.Store.Read(ctx, 0, filter) {
		if err != nil {
			return nil, err
		}
		if record.Position > size {
			break
		}
		event := record.Event
		amendment, ok := domain.AmendmentOf(event.Data)
		if !ok {
			continue
		}
		if !in(event.OccurredAt) {
			position := targetPosition(event.Data)
			if position == 0 || position > size {
				continue
			}
			target, err := l.parts.Store.Get(ctx, position)
			if err != nil {
				return nil, fmt.Errorf("read the target of the %s at %d: %w", event.Type, record.Position, err)
			}
			if !in(target.Event.OccurredAt) {
				continue
			}
		}
		changes = append(changes, projections.AuditEntry{Position: record.Position, EventID: event.ID.String(), Type: event.Type,
			Actor: event.Actor, RecordedAt: event.RecordedAt, OccurredAt: event.OccurredAt, County: event.County,
			Campaign: event.Aggregate.ID, Summary: projections.Describe(event.Data), Reason: amendment.Reason,
			TargetPosition: domain.TargetLocationOf(event.Data).TargetPosition})
	}
	return changes, nil
}

// targetPosition is where the entry a void or correction changes sits in
// the log (0 if it does not say).
func targetPosition(payload domain.Payload) uint64 {
	switch data := payload.(type) {
	case domain.EntryVoided:
		return data.TargetPosition
	case *domain.EntryCorrected:
		return data.TargetPosition
	}
	return 0
}

// ownMonth keeps the changes dated in the month, which is all a report
// sealed ledger-report/1 or /2 listed.
func ownMonth(changes []projections.AuditEntry, start, end time.Time) []projections.AuditEntry {
	kept := []projections.AuditEntry{}
	for _, change := range changes {
		if !change.OccurredAt.Before(start) && !change.OccurredAt.After(end) {
			kept = append(kept, change)
		}
	}
	return kept
}

// figuresDigest is the SHA-256 of the report's figures and changes as
// JSON: what a seal of the version binds.
func figuresDigest(report *MonthReport, version int) (string, error) {
	// The trend is left out when empty, so a report without one has the
	// digest version 1 gave it; versions 1 and 2 name no version, so their
	// digests are the ones printed before version 3.
	sealed := ""
	if version >= reportSealEvery {
		sealed = reportSealPrefix + strconv.Itoa(version)
	}
	content, err := json.Marshal(struct {
		Seal    string                   `json:"seal,omitempty"`
		Rows    []projections.Row        `json:"rows"`
		All     []projections.Row        `json:"all"`
		Changes []projections.AuditEntry `json:"changes"`
		Trend   []projections.Row        `json:"trend,omitempty"`
	}{sealed, report.Rows, report.All, report.Changes, report.Trend})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:]), nil
}

// ParseReportSeal reads a seal line.
func ParseReportSeal(text string) (ReportSeal, error) {
	fields := strings.Fields(strings.TrimSpace(text))
	version := 0
	if len(fields) == 7 {
		if number, ok := strings.CutPrefix(fields[0], reportSealPrefix); ok {
			version, _ = strconv.Atoi(number)
		}
	}
	if version < reportSealFigures || version > reportSealCurrent {
		return ReportSeal{}, fmt.Errorf("not a report seal (%s%d to %s%d with six fields): %w", reportSealPrefix, reportSealFigures,
			reportSealPrefix, reportSealCurrent, domain.ErrInvalid)
	}
	values := map[string]string{}
	for _, field := range fields[1:] {
		name, value, ok := strings.Cut(field, "=")
		if !ok {
			return ReportSeal{}, fmt.Errorf("report seal field %q: %w", field, domain.ErrInvalid)
		}
		values[name] = value
	}
	size, err := strconv.ParseUint(values["size"], 10, 64)
	if err != nil || size == 0 {
		return ReportSeal{}, fmt.Errorf("report seal size %q: %w", values["size"], domain.ErrInvalid)
	}
	return ReportSeal{Version: version, Month: values["month"], County: values["county"], Campaign: values["campaign"], Size: size,
		Root: values["root"], Figures: values["figures"]}, nil
}

// VerifyReport recomputes a sealed report from the log: the same month,
// region and campaign, bound to the signed checkpoint of the seal's size.
// It fails unless a checkpoint of that size with that root is signed, and
// the figures' digest is the seal's. The caller checks the signature.
func (l *Ledger) VerifyReport(ctx context.Context, seal ReportSeal) (*MonthReport, error) {
	report, err := l.Report(ctx, ReportRequest{Month: seal.Month, County: seal.County, Campaign: seal.Campaign, Through: seal.Size,
		ownMonthChanges: seal.Version <= reportSealTrend, sealVersion: seal.Version})
	if err != nil {
		return nil, err
	}
	// A version 1 seal was printed without the trend (before trends, or
	// for a report that has none), so the trend is neither compared nor
	// shown as printed.
	if seal.Version == reportSealFigures {
		report.Trend = nil
	}
	if root := base64.StdEncoding.EncodeToString(report.Checkpoint.Root[:]); root != seal.Root {
		return report, fmt.Errorf("the report names root %s for %d events, but the signed checkpoint of that size says %s: %w",
			seal.Root, seal.Size, root, ErrReportMismatch)
	}
	digest, err := figuresDigest(report, seal.Version)
	if err != nil {
		return nil, err
	}
	if digest != seal.Figures {
		return report, fmt.Errorf("the report's figures (digest %s) are not what the log's first %d events say (digest %s): %w",
			seal.Figures, seal.Size, digest, ErrReportMismatch)
	}
	return report, nil
}

// Copy is a copy of a ledger's log kept apart from it, such as an
// auditor's mirror or an audit bundle: its events as a read-only store,
// the signed checkpoints kept with them, the catalog they were recorded
// under and the key the checkpoints must be signed with.
type Copy struct {
	Store       eventstore.Store
	Checkpoints [][]byte
	Catalog     *domain.Catalog
	Verifier    note.Verifier
}

// BundleCopy opens the audit bundle in dir (integrity.OpenBundle: every
// event and checkpoint checked against verifier's signatures) as a copy
// of the log the ledger's read-only use cases run on, offline; catalog is
// the one its events were recorded under.
func BundleCopy(ctx context.Context, dir string, verifier note.Verifier, catalog *domain.Catalog) (Copy, error) {
	bundle, err := integrity.OpenBundle(ctx, dir, verifier)
	if err != nil {
		return Copy{}, fmt.Errorf("%s: %w", dir, err)
	}
	events, err := eventstore.NewFrozen(bundle.Events)
	if err != nil {
		return Copy{}, fmt.Errorf("%s: %w", dir, err)
	}
	return Copy{Store: events, Checkpoints: bundle.Checkpoints, Catalog: catalog, Verifier: verifier}, nil
}

// VerifyReportOnCopy checks a printed report's seal against a copy of the
// log with the ledger's own use case (VerifyReport): the seal's checkpoint
// must be one the copy holds, signed with the copy's key, and the figures
// recomputed from its first events must be the seal's.
func VerifyReportOnCopy(ctx context.Context, sealText string, copied Copy) (*MonthReport, error) {
	seal, err := ParseReportSeal(sealText)
	if err != nil {
		return nil, err
	}
	ledger := New(Parts{Store: copied.Store, Catalog: copied.Catalog, Signed: signedList(copied.Checkpoints)})
	report, err := ledger.VerifyReport(ctx, seal)
	if err != nil {
		return report, err
	}
	if _, err := integrity.OpenCheckpoint([]byte(report.Signed), copied.Verifier); err != nil {
		return report, fmt.Errorf("the checkpoint the report is bound to is not signed by this key: %w", err)
	}
	return report, nil
}

// signedList is a copy's signed checkpoints as the ledger's checkpoint
// stream, read-only.
type signedList [][]byte

func (s signedList) Append(context.Context, []byte) error {
	return fmt.Errorf("a copy of the log is read-only: %w", eventstore.ErrUnsupported)
}

func (s signedList) Latest(context.Context) ([]byte, error) {
	if len(s) == 0 {
		return nil, domain.ErrNotFound
	}
	return s[len(s)-1], nil
}

func (s signedList) All(context.Context) ([][]byte, error) { return s, nil }
