package live

import (
	"encoding/json"
	"fmt"
	"io"
)

// JSON is a JSON value passed through GraphQL as is (the JSON scalar).
type JSON json.RawMessage

// MarshalGQL writes the value (null when empty).
func (j JSON) MarshalGQL(w io.Writer) {
	if len(j) == 0 {
		_, _ = io.WriteString(w, "null")
		return
	}
	_, _ = w.Write(j)
}

// UnmarshalGQL reads any GraphQL input value.
func (j *JSON) UnmarshalGQL(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("JSON: %w", err)
	}
	*j = b
	return nil
}
