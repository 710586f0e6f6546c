package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ordos-union/ledger/app"
	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/node"
	"github.com/ordos-union/ledger/privacy"
)

// noSerialStatement is a statement whose line has no serial: its id comes
// from what it says, the counterparty's name included.
const noSerialStatement = "日期,流水号,摘要,对方户名,对方账号,交易金额\n" +
	"2022-06-23,,会费,王小明,6222 0000 1111,66.00\n"

// A ledger's bank line ids are keyed with a secret in its keystore: the
// ledger opened again (a new process) finds the lines of a statement it
// imported, and writes nothing. The secret is no person's: forgetting it
// is refused, and it stays.
func TestLineIDsSurviveReopeningAndCannotBeForgotten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	request := app.StatementRequest{FileName: "y.csv", Data: []byte(noSerialStatement), Account: "icbc-test-account", Actor: "finance", Personal: true}
	first, err := node.Open(ctx, node.Config{DataDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	imported, _, err := first.App.ImportStatement(ctx, request)
	if err != nil || imported.Written != 1 {
		first.Close()
		t.Fatalf("import: %d written, %v", imported.Written, err)
	}
	id := imported.New[0].LineID
	secret, err := first.Keystore.Key(ctx, privacy.BankLineIDSecret)
	if err != nil || len(secret) != privacy.KeyBytes {
		first.Close()
		t.Fatalf("the secret is not in the keystore: %v", err)
	}
	_, _, err = first.App.Forget(ctx, privacy.BankLineIDSecret, "不是本人", "admin")
	var validation *domain.ValidationError
	if !errors.As(err, &validation) || !strings.Contains(err.Error(), "the ledger's own secret") {
		first.Close()
		t.Fatalf("forgetting the ledger's secret: %v, want a refusal", err)
	}
	first.Close()

	second, err := node.Open(ctx, node.Config{DataDir: dir, SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	again, _, err := second.App.ImportStatement(ctx, request)
	if err != nil || again.Written != 0 || len(again.Already) != 1 || again.Already[0].LineID != id {
		t.Fatalf("reopened: %d written, already %+v, %v; want the line %s there", again.Written, again.Already, err, id)
	}
	preview, _, err := second.App.ImportStatement(ctx, app.StatementRequest{FileName: request.FileName, Data: request.Data,
		Account: request.Account, Actor: request.Actor, Preview: true, Personal: true})
	if err != nil || len(preview.New) != 0 || len(preview.Already) != 1 || preview.Already[0].LineID != id {
		t.Fatalf("preview: new %+v, already %+v, %v", preview.New, preview.Already, err)
	}
	erasures, err := second.App.Erasures(ctx)
	if err != nil || len(erasures) != 0 {
		t.Fatalf("erasures %v, %v; want none", erasures, err)
	}
}
