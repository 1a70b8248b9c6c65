package handler

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r to w as json.Marshal encodes it, and a newline,
// encoding its exports and events one at a time: a large cycle's result
// lists tens of thousands of them, and encoded whole it would be the
// cycle's peak of memory.
func (r Result) WriteJSON(w io.Writer) error {
	exports, events := r.Exports, r.Events
	r.Exports, r.Events = nil, nil
	rest, err := json.Marshal(r)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	// The lists, in the order of their fields. No other field has their
	// names, and in a string value their quotes would be escaped.
	lists := []struct {
		hole  string
		write func() error
	}{
		{`"exports":null`, func() error { return writeList(bw, exports) }},
		{`"events":null`, func() error { return writeList(bw, events) }},
	}
	for _, l := range lists {
		i := bytes.Index(rest, []byte(l.hole))
		if i < 0 {
			return fmt.Errorf("encoding the cycle's result: no place for its %s", l.hole)
		}
		bw.Write(rest[:i])
		bw.WriteString(l.hole[:len(l.hole)-len("null")])
		if err := l.write(); err != nil {
			return err
		}
		rest = rest[i+len(l.hole):]
	}
	bw.Write(rest)
	bw.WriteByte('\n')
	return bw.Flush()
}

// writeList writes items as json.Marshal encodes them, one at a time.
func writeList[T any](bw *bufio.Writer, items []T) error {
	if items == nil {
		_, err := bw.WriteString("null")
		return err
	}
	bw.WriteByte('[')
	for j, item := range items {
		if j > 0 {
			bw.WriteByte(',')
		}
		b, err := json.Marshal(item)
		if err != nil {
			return err
		}
		bw.Write(b)
	}
	return bw.WriteByte(']')
}
