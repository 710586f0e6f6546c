package backup

import (
	"context"
	"fmt"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/projections"
)

// restoreActor is who re-applies the erasures at a restore, in the log.
const restoreActor = "ledger-restore"

// Erasures are the data subjects erased since a backup was taken, to be
// erased again when it is restored (ReadErasures reads them).
type Erasures struct {
	Subjects []string
	// Source names the list they were read from, for the log's record
	// of each erasure re-applied.
	Source string
}

// RestoreSteps hear of each step of RestoreLedger once it is done, so
// that a front end says what was done even when a later step fails. A nil
// step is not told.
type RestoreSteps struct {
	// Restored hears what the backup put into the ledger (Restore).
	Restored func(restored Restored)
	// Reapplied hears what re-applying each erasure did, also when some
	// could not be re-applied.
	Reapplied func(done []app.Reapplied)
	// Rebuilt hears how far the totals were folded from the restored log,
	// and whether their checkpoint was saved (it is not without a signing
	// key to seal it with).
	Rebuilt func(status projections.Status)
}

// RestoreLedger is the whole restore of the backup into the empty ledger
// config names, as `ledger restore` runs it: the backup's keys are put
// into the data directory first (WriteKeys), for the ledger opened there
// signs and verifies with them, unless the ledger is reached through an
// external NATS, whose data directory is not the log's; the ledger is
// opened and the backup restored into it (Restore); the erasures made
// since the backup was taken are applied again
// (app.Ledger.ReapplyErasures), before anyone reads the restored
// personal data; the totals are folded from the restored log and their
// checkpoint saved, sealed with the restored ledger's key (no projection
// checkpoint comes from the backup); and the ledger is closed, so that it
// can be verified as the next command opens it. Opening fails as node.Open does (a
// node.ConfigError for a configuration that cannot work).
func (b *Backup) RestoreLedger(ctx context.Context, config node.Config, erasures Erasures, steps RestoreSteps) error {
	if config.NATSURL == "" {
		if err := b.WriteKeys(config.DataDir); err != nil {
			return err
		}
	}
	ledger, err := node.Open(ctx, config)
	if err != nil {
		return err
	}
	defer ledger.Close()
	restored, err := b.Restore(ctx, ledger)
	if err != nil {
		return err
	}
	if steps.Restored != nil {
		steps.Restored(restored)
	}
	done, err := ledger.App.ReapplyErasures(ctx, erasures.Subjects, erasures.Source, restoreActor)
	if steps.Reapplied != nil {
		steps.Reapplied(done)
	}
	if err != nil {
		return err
	}
	status, err := ledger.RebuildTotals(ctx, nil)
	if err != nil {
		return fmt.Errorf("the backup is restored, but the totals could not be folded from it (`ledger rebuild totals` tries again): %w", err)
	}
	if steps.Rebuilt != nil {
		steps.Rebuilt(status)
	}
	return nil
}
