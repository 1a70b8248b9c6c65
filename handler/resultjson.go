package handler

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// WriteJSON writes r to w as json.Marshal encodes it, and a newline,
// encoding its exports one at a time: a large cycle's result lists tens of
// thousands of them, and encoded whole it would be the cycle's peak of
// memory.
func (r Result) WriteJSON(w io.Writer) error {
	exports := r.Exports
	if exports == nil {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	r.Exports = nil
	rest, err := json.Marshal(r)
	if err != nil {
		return err
	}
	// No other field is named exports, and in a string value its quotes
	// would be escaped.
	const hole = `"exports":null`
	i := bytes.Index(rest, []byte(hole))
	if i < 0 {
		return errors.New("encoding the cycle's result: no place for its exports")
	}
	bw := bufio.NewWriter(w)
	bw.Write(rest[:i])
	bw.WriteString(`"exports":[`)
	for j, e := range exports {
		if j > 0 {
			bw.WriteByte(',')
		}
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		bw.Write(b)
	}
	bw.WriteByte(']')
	bw.Write(rest[i+len(hole):])
	bw.WriteByte('\n')
	return bw.Flush()
}
