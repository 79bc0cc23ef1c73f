package myinfo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/idconnect/idconnect"
)

// Flatten builds the seed service's "sodata" object from a Myinfo person
// JSON object. For each requested attribute the person has, in the requested
// order and once each:
//
//   - an item marked "unavailable": true gives null;
//   - an item with a "value" member gives that value;
//   - an item with a "code" member gives the code;
//   - anything else (addresses, lists, records) is passed through as sent.
//
// Values are copied verbatim, with insignificant white space removed.
// Requested attributes the person lacks are left out. Flatten goes by
// attribute name, never by position.
func Flatten(attributes []string, person json.RawMessage) (json.RawMessage, error) {
	if !isObject(person) {
		return nil, errors.New("myinfo: person data is not a JSON object")
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(person, &attrs); err != nil {
		return nil, fmt.Errorf("myinfo: person data: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	seen := make(map[string]bool, len(attributes))
	for _, name := range attributes {
		raw, ok := attrs[name]
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		if len(seen) > 1 {
			buf.WriteByte(',')
		}
		if err := writeKey(&buf, name); err != nil {
			return nil, err
		}
		if err := json.Compact(&buf, flatItem(raw)); err != nil {
			return nil, fmt.Errorf("myinfo: attribute %q: %w", name, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// flatItem applies the rules of [Flatten] to one attribute.
func flatItem(raw json.RawMessage) json.RawMessage {
	if !isObject(raw) {
		return raw
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return raw
	}
	if u, ok := members["unavailable"]; ok && bytes.Equal(bytes.TrimSpace(u), []byte("true")) {
		return json.RawMessage("null")
	}
	if v, ok := members["value"]; ok {
		return v
	}
	if c, ok := members["code"]; ok {
		return c
	}
	return raw
}

// writeKey writes name as a JSON string and a colon, leaving &, < and >
// literal like the values beside it.
func writeKey(buf *bytes.Buffer, name string) error {
	var key bytes.Buffer
	enc := json.NewEncoder(&key)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(name); err != nil {
		return err
	}
	buf.Write(bytes.TrimSuffix(key.Bytes(), []byte("\n")))
	buf.WriteByte(':')
	return nil
}

var _ idconnect.Flattener = (*Client)(nil)

// Flatten implements idconnect.Flattener: the seed's sodata for the
// attributes the login asked for.
func (c *Client) Flatten(login *idconnect.Login, res *idconnect.Result) (json.RawMessage, error) {
	return Flatten(login.Attributes, res.Raw)
}
