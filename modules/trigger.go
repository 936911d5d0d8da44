package modules

import "time"

// Trigger is a polling trigger: a Paged module of kind trigger. Each run
// returns what changed since the position saved in its state, oldest first,
// at most limit bundles, and the new state. The engine saves the state only
// when its cycle commits, so a rolled-back cycle replays the same changes
// and nothing is emitted twice across committed runs.
type Trigger[P, Pos any] = Paged[P, Pos]

// EngineAfter is the last item an engine emitted, as the engine stores it.
type EngineAfter struct {
	// Date is the item's date as the engine kept it (Make keeps
	// milliseconds); zero when the engine has no position.
	Date time.Time
	// ID is the item's id; "" when the engine stored only a date (a start
	// date chosen by the user).
	ID string
}
