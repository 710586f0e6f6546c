package domain

import "testing"

// IsAccountEvent names exactly the types whose events AggregateOf puts in a
// bank account: the log's readers are kept from those by this list, so a
// new account type left out of it would reach them.
func TestIsAccountEventIsTheAccountAggregate(t *testing.T) {
	for _, eventType := range EventTypes {
		payload := derefPayload(newPayload(eventType))
		if payload == nil {
			t.Fatalf("%s: no payload", eventType)
		}
		inAccount := AggregateOf(payload).Kind == AggregateAccount
		if IsAccountEvent(eventType) != inAccount {
			t.Errorf("%s: IsAccountEvent %v, but AggregateOf puts it in an account: %v", eventType, IsAccountEvent(eventType), inAccount)
		}
	}
}
