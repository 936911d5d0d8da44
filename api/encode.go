package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// preEncoded is implemented by bundles that carry their own JSON: exactly
// what encoding/json with HTML escaping off writes for them (a
// profitwell.CustomerRow passed through from a customers page).
type preEncoded interface {
	AppendJSON(b []byte) []byte
}

// answerBufs holds the buffers execute answers are encoded into; a buffer
// that grew past maxPooledAnswer is left to the garbage collector.
var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledAnswer = 4 << 20

// writeExecute writes a successful execute answer. The bytes are those of
// writeJSON(w, http.StatusOK, res); pre-encoded bundles are copied as they
// are instead of going through reflection and validation again, and the
// answer is built in a pooled buffer.
func writeExecute(w http.ResponseWriter, res executeResponse) {
	buf := answerBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledAnswer {
			answerBufs.Put(buf)
		}
	}()
	buf.Reset()
	if err := encodeExecute(buf, res); err != nil {
		writeJSON(w, http.StatusOK, res) // answers the encoding failure
		return
	}
	w.Header()["Content-Type"] = jsonContentType
	setContentLength(w, buf.Len())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// encodeExecute appends res as JSON and a newline, as json.Encoder with
// HTML escaping off does, with pre-encoded bundles copied as they are.
func encodeExecute(buf *bytes.Buffer, res executeResponse) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if res.Bundles == nil {
		return enc.Encode(res)
	}
	buf.WriteString(`{"bundles":[`)
	for i, b := range res.Bundles {
		if i > 0 {
			buf.WriteByte(',')
		}
		if p, ok := b.(preEncoded); ok {
			buf.Write(p.AppendJSON(buf.AvailableBuffer()))
		} else if err := encodeValue(enc, buf, b); err != nil {
			return err
		}
	}
	buf.WriteString(`],"meta":`)
	if err := encodeValue(enc, buf, res.Meta); err != nil {
		return err
	}
	if len(res.State) > 0 {
		buf.WriteString(`,"state":`)
		if err := encodeValue(enc, buf, res.State); err != nil {
			return err
		}
	}
	buf.WriteString("}\n")
	return nil
}

// encodeValue appends v with enc, which writes to buf, without the
// encoder's newline.
func encodeValue(enc *json.Encoder, buf *bytes.Buffer, v any) error {
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1)
	return nil
}
