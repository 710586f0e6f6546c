package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AccessRecord is one read of personal data: who, in what role, through
// which route or command, whose data when that is known, and when.
type AccessRecord struct {
	At       time.Time `json:"at"`
	Reader   string    `json:"reader"`
	Role     string    `json:"role"`
	Via      string    `json:"via"`
	Subjects []string  `json:"subjects,omitempty"`
	// MoreSubjects counts subjects beyond accessSubjectsMax, left out.
	MoreSubjects int `json:"more_subjects,omitempty"`
}

// accessSubjectsMax bounds the subjects one record names, so a record stays
// well under the log's 64 KiB message limit.
const accessSubjectsMax = 500

// AppendOnly is a log that only grows: the store's access log stream.
type AppendOnly interface {
	Append(ctx context.Context, record []byte) error
	All(ctx context.Context) ([][]byte, error)
}

// AccessLog records reads of personal data on an append-only log kept by
// the store (deny-delete, like the event log), for admins and auditors to
// read: China's Personal Information Protection Law expects such a record.
type AccessLog struct {
	log   AppendOnly
	clock func() time.Time
}

// NewAccessLog records on log; clock stamps the records (time.Now if nil).
func NewAccessLog(log AppendOnly, clock func() time.Time) *AccessLog {
	if clock == nil {
		clock = time.Now
	}
	return &AccessLog{log: log, clock: clock}
}

// Record appends one read. A read that cannot be recorded must not happen:
// callers refuse it when this fails.
func (a *AccessLog) Record(ctx context.Context, record AccessRecord) error {
	if record.At.IsZero() {
		record.At = a.clock().UTC()
	}
	if len(record.Subjects) > accessSubjectsMax {
		record.MoreSubjects = len(record.Subjects) - accessSubjectsMax
		record.Subjects = record.Subjects[:accessSubjectsMax]
	}
	content, err := json.Marshal(record)
	if err != nil {
		return err
	}
	if err := a.log.Append(ctx, content); err != nil {
		return fmt.Errorf("record personal-data access: %w", err)
	}
	return nil
}

// Records returns every read recorded, oldest first.
func (a *AccessLog) Records(ctx context.Context) ([]AccessRecord, error) {
	all, err := a.log.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	records := make([]AccessRecord, 0, len(all))
	for i, content := range all {
		var record AccessRecord
		if err := json.Unmarshal(content, &record); err != nil {
			return nil, fmt.Errorf("access log record %d: %w", i+1, err)
		}
		records = append(records, record)
	}
	return records, nil
}
