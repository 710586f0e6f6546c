package privacy_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ordos-union/ledger/domain"
	"github.com/ordos-union/ledger/privacy"
)

func sealedEvent(t *testing.T, sealer *privacy.Sealer, key string) domain.Event {
	t.Helper()
	event := domain.Event{ID: uuid.Must(uuid.NewV7()), IdempotencyKey: key, Personal: &domain.Personal{
		Donor:   &domain.Person{SubjectID: "donor-1", Name: "张三", Phone: "13800138000", IDNumber: "150602199001011234"},
		Workers: []domain.Person{{Name: "李四"}},
	}}
	if err := sealer.Seal(context.Background(), &event); err != nil {
		t.Fatal(err)
	}
	return event
}

func TestSealHidesAndUnsealRestores(t *testing.T) {
	sealer := privacy.NewSealer(privacy.NewMemoryKeystore(), nil)
	event := sealedEvent(t, sealer, "k-1")
	if event.Personal != nil || len(event.Sealed) != 2 {
		t.Fatalf("sealed event still has its personal part: %+v", event)
	}
	stored, err := event.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"张三", "13800138000", "150602199001011234", "李四"} {
		if bytes.Contains(stored, []byte(secret)) {
			t.Fatalf("stored form holds %q", secret)
		}
	}
	opened := event
	if err := sealer.Unseal(context.Background(), &opened); err != nil {
		t.Fatal(err)
	}
	if opened.Personal.Donor.Name != "张三" || opened.Personal.Donor.SubjectID != "donor-1" || opened.Personal.Workers[0].Name != "李四" {
		t.Fatalf("unsealed %+v", opened.Personal)
	}
	// The same request sealed again compares equal: retries stay idempotent.
	again := sealedEvent(t, sealer, "k-1")
	first, _ := event.ContentHash()
	second, _ := again.ContentHash()
	if first != second {
		t.Fatal("the same content sealed twice hashes differently")
	}
}

func TestMissingOrWrongKeyReadsAsErased(t *testing.T) {
	keys := privacy.NewMemoryKeystore()
	sealer := privacy.NewSealer(keys, nil)
	event := sealedEvent(t, sealer, "k-1")
	// Forgotten: the key is destroyed.
	if err := keys.Destroy(context.Background(), "donor-1"); err != nil {
		t.Fatal(err)
	}
	opened := event
	if err := sealer.Unseal(context.Background(), &opened); err != nil {
		t.Fatalf("unseal with a missing key: %v", err)
	}
	if donor := opened.Personal.Donor; !donor.Erased || donor.Name != "" || donor.Phone != "" {
		t.Fatalf("donor without a key = %+v, want erased", donor)
	}
	if opened.Personal.Workers[0].Erased || opened.Personal.Workers[0].Name != "李四" {
		t.Fatalf("the worker's data went with the donor's key: %+v", opened.Personal.Workers[0])
	}
	// A wrong key (another subject's record moved here, or a restored
	// keystore that does not belong) reads as erased too, never garbage.
	other := privacy.NewSealer(privacy.NewMemoryKeystore(), nil)
	_, _ = privacy.NewMemoryKeystore().CreateKey(context.Background(), "donor-1")
	wrong := event
	if err := other.Unseal(context.Background(), &wrong); err != nil {
		t.Fatal(err)
	}
	if !wrong.Personal.Donor.Erased {
		t.Fatalf("a wrong keystore read %+v", wrong.Personal.Donor)
	}
	// A sealed record copied into another event does not open there.
	moved := event
	moved.ID = uuid.Must(uuid.NewV7())
	keys2 := privacy.NewMemoryKeystore()
	sealer2 := privacy.NewSealer(keys2, nil)
	original := sealedEvent(t, sealer2, "k-2")
	copied := original
	copied.ID = uuid.Must(uuid.NewV7())
	if err := sealer2.Unseal(context.Background(), &copied); err != nil {
		t.Fatal(err)
	}
	if !copied.Personal.Donor.Erased {
		t.Fatal("a sealed record opened in another event")
	}
}

// The ledger's own secrets are kept under reserved subjects that no
// person's subject id can be (a subject id is a key, and holds no "/"):
// nobody is sealed under one.
func TestReservedSubjectsAreNoPersons(t *testing.T) {
	if !privacy.Reserved(privacy.BankLineIDSecret) || privacy.Reserved("donor-1") || privacy.Reserved("subject-0123") {
		t.Fatal("Reserved does not tell the ledger's secrets from people")
	}
	problems := domain.Validator{Catalog: domain.DefaultCatalog()}.Validate(domain.Event{Type: domain.TypeSubjectErased,
		Data: domain.SubjectErased{SubjectID: privacy.BankLineIDSecret, Reason: "test"}})
	if problems == nil || !strings.Contains(problems.Error(), "data.subject_id") {
		t.Fatalf("a subject id naming the ledger's secret passes validation: %v", problems)
	}
	keys := privacy.NewMemoryKeystore()
	secret, err := keys.CreateKey(context.Background(), privacy.BankLineIDSecret)
	if err != nil {
		t.Fatal(err)
	}
	event := domain.Event{ID: uuid.Must(uuid.NewV7()), Personal: &domain.Personal{
		Donor: &domain.Person{SubjectID: privacy.BankLineIDSecret, Name: "张三"}}}
	if err := privacy.NewSealer(keys, nil).Seal(context.Background(), &event); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("sealing a person under the ledger's secret: %v, want ErrInvalid", err)
	}
	if kept, err := keys.Key(context.Background(), privacy.BankLineIDSecret); err != nil || !bytes.Equal(kept, secret) {
		t.Fatalf("the secret after a refused seal: %v", err)
	}
}
