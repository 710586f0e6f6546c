package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/eventstore"
	"github.com/ordos-union/ledger/privacy"
)

func runForget(ctx context.Context, env *environment, args []string) error {
	flags := newFlags(env, "forget", "SUBJECT --reason R\n\nErases a data subject: destroys the key their personal data is sealed with and records who, when and why.\n"+
		"Their entries, every total and every proof stay as they were; their personal fields read as erased everywhere.")
	var store storeFlags
	store.register(flags)
	reason := flags.String("reason", "", "why (required), e.g. 本人依《个人信息保护法》申请删除")
	actor := flags.String("actor", envOr("LEDGER_ACTOR", envOr("USER", "admin")), "who erases")
	if err := parse(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("give one SUBJECT id")
	}
	subject := flags.Arg(0)
	opened, err := store.open(ctx, env, serverOptions{})
	if err != nil {
		return err
	}
	defer opened.Close()
	// The erasure is recorded first: if destroying the key then fails, the
	// record says what must still be done, and forget can be run again.
	event := domain.Event{Type: domain.TypeSubjectErased, County: opened.catalog.CityCode(), OccurredAt: time.Now(), Actor: *actor,
		Data: domain.SubjectErased{SubjectID: subject, Reason: *reason}}
	results, err := opened.service.Record(ctx, []domain.Event{event})
	already := errors.Is(err, domain.ErrRejected) && strings.Contains(err.Error(), "already erased")
	if err != nil && !already {
		return err
	}
	if err := opened.keystore.Destroy(ctx, subject); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if already {
		fmt.Fprintf(env.stdout, "%s was already erased; its key is gone\n", subject)
		return nil
	}
	fmt.Fprintf(env.stdout, "erased %s: key destroyed, erasure recorded as %s at position %d\n", subject, results[0].EventID, results[0].Position)
	return nil
}

// checkKeystore finds sealed subjects whose key is missing although they
// were never erased: a lost keystore is reported, not silent.
func checkKeystore(ctx context.Context, opened *opened) ([]string, error) {
	erased := map[string]bool{}
	sealed := map[string]bool{}
	for record, err := range opened.store.Read(ctx, 0, eventstore.Filter{}) {
		if err != nil {
			return nil, err
		}
		if data, ok := record.Event.Data.(domain.SubjectErased); ok {
			erased[data.SubjectID] = true
		}
		for _, subject := range privacy.Subjects(record.Event) {
			sealed[subject] = true
		}
	}
	var lost []string
	for subject := range sealed {
		if erased[subject] {
			continue
		}
		if _, err := opened.keystore.Key(ctx, subject); errors.Is(err, domain.ErrNotFound) {
			lost = append(lost, subject)
		} else if err != nil {
			return nil, err
		}
	}
	return lost, nil
}
