package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/profitwell-connector/connector/connection/profitwell"
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

// bundlesNull is how an execute answer without bundles starts.
var bundlesNull = []byte(`{"bundles":null`)

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
		writeJSON(w, http.StatusOK, res) // the same failure answer as ever
		return
	}
	w.Header()["Content-Type"] = jsonContentType
	setContentLength(w, buf.Len())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// encodeExecute appends res as JSON and a newline, as json.Encoder with
// HTML escaping off does: the bundles one by one, then the rest of the
// answer, encoded with no bundles, after its `{"bundles":null`.
func encodeExecute(buf *bytes.Buffer, res executeResponse) error {
	var enc *json.Encoder // made when something needs reflection
	encoder := func() *json.Encoder {
		if enc == nil {
			enc = json.NewEncoder(buf)
			enc.SetEscapeHTML(false)
		}
		return enc
	}
	bundles := res.Bundles
	res.Bundles = nil
	if bundles == nil {
		return encoder().Encode(res)
	}
	buf.WriteString(`{"bundles":[`)
	for i, b := range bundles {
		if i > 0 {
			buf.WriteByte(',')
		}
		if p, ok := b.(preEncoded); ok {
			buf.Write(p.AppendJSON(buf.AvailableBuffer()))
			continue
		}
		if err := encoder().Encode(b); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // the encoder's newline
	}
	buf.WriteByte(']')
	if res.State == nil {
		// The usual answer: the meta written directly, as encoding/json
		// writes it (TestWriteExecuteIsWriteJSON).
		b := append(buf.AvailableBuffer(), ',')
		b = appendMeta(b, res.Meta)
		buf.Write(append(b, '}', '\n'))
		return nil
	}
	rest := buf.Len()
	if err := encoder().Encode(res); err != nil {
		return err
	}
	tail := buf.Bytes()[rest:]
	if !bytes.HasPrefix(tail, bundlesNull) {
		return errAnswerShape
	}
	n := copy(tail, tail[len(bundlesNull):])
	buf.Truncate(rest + n)
	return nil
}

// appendMeta appends `"meta":{...}` as encoding/json writes executeMeta.
func appendMeta(b []byte, m executeMeta) []byte {
	b = append(b, `"meta":{"module":`...)
	b = profitwell.AppendJSONString(b, m.Module)
	b = append(b, `,"returned":`...)
	b = strconv.AppendInt(b, int64(m.Returned), 10)
	b = append(b, `,"hasMore":`...)
	b = strconv.AppendBool(b, m.HasMore)
	if m.NextCursor != "" {
		b = append(b, `,"nextCursor":`...)
		b = profitwell.AppendJSONString(b, m.NextCursor)
	}
	b = append(b, `,"upstreamRequests":`...)
	b = strconv.AppendInt(b, int64(m.UpstreamRequests), 10)
	return append(b, '}')
}

var errAnswerShape = errors.New("api: an executeResponse must start with its bundles")
