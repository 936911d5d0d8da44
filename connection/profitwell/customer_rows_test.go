package profitwell

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// canonical is what the API writes for a Customer: encoding/json with HTML
// escaping off, without the encoder's newline.
func canonical(t testing.TB, c *Customer) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(c))
	return strings.TrimSuffix(buf.String(), "\n")
}

// checkRowsMatchCustomers asserts that decodeCustomerRows and
// decodeCustomers agree on body: both fail, or every row is its
// Customer's canonical encoding with the same paging keys.
func checkRowsMatchCustomers(t testing.TB, body []byte) {
	rows, rerr := decodeCustomerRows(body)
	cs, cerr := decodeCustomers(body)
	if cerr != nil {
		require.Error(t, rerr, "rows decoded a page the typed decoder refuses: %q", body)
		return
	}
	require.NoError(t, rerr, "%q", body)
	require.Len(t, rows, len(cs))
	for i := range cs {
		require.Equal(t, canonical(t, &cs[i]), rows[i].json, "row %d of %q", i, body)
		require.Equal(t, cs[i].CustomerID, rows[i].CustomerID)
		updated := ""
		if cs[i].UpdatedOn != nil {
			updated = *cs[i].UpdatedOn
		}
		require.Equal(t, updated, rows[i].UpdatedOn)
		back, err := rows[i].Customer()
		require.NoError(t, err)
		require.Equal(t, cs[i], back)
	}
}

// canonicalPages are only scanned.
var canonicalPages = []string{
	customersPage(3),
	`[]`, ` [ ] `,
	"[\n" + strings.ReplaceAll(customersPage(2)[1:len(customersPage(2))-1], "},{", "},\n  {") + "\n]",
	`[{"customer_id":"x","email":null,"first_name":"Ÿ","last_name":"<&>","mrr_cents":9223372036854775807,"plans":["a","b"],"status":"a` + "\x7f" + `","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":-9223372036854775808}]`,
}

// otherPages go through the typed decoder.
var otherPages = []string{
	`null`, `[null]`, `{}`, `[{}]`, ``, `[`, `[]x`, `[] []`,
	`[{"customer_id":"a","email":"a@b.c"}]`,
	`[{"email":null,"customer_id":"x","first_name":null,"last_name":null,"mrr_cents":1,"plans":null,"status":"active","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2}]`,
	`[{"customer_id":"x","email":null,"first_name":null,"last_name":null,"mrr_cents":"12","plans":[],"status":"active","created_on":null,"activated_on":null,"churned_on":null,"updated_on":"2024-01-01T00:00:00Z","total_spend_cents":2.0}]`,
	`[{"customer_id":12,"email":null,"first_name":null,"last_name":null,"mrr_cents":1,"plans":null,"status":"a","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2}]`,
	`[{"Customer_ID":"x","email":null,"first_name":null,"last_name":null,"mrr_cents":1,"plans":null,"status":"a","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2}]`,
	`[{"customer_id":null,"email":null,"first_name":null,"last_name":null,"mrr_cents":1,"plans":null,"status":"a","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2}]`,
	`[{"customer_id":"x","email":null,"first_name":null,"last_name":null,"mrr_cents":-0,"plans":null,"status":"a","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2}]`,
	`[{"customer_id":"x","email":null,"first_name":null,"last_name":null,"mrr_cents":9223372036854775808,"plans":null,"status":"a","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2}]`,
	`[{"customer_id":"x","email":null,"first_name":null,"last_name":null,"mrr_cents":1,"plans":["a","b"],"status":"a","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2,"extra":1}]`,
	`[{"customer_id":"x","email":null,"first_name":null,"last_name":null,"mrr_cents":1,"plans":["a","b"],"status":"a","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2} , {"customer_id":"y","email":"y@x","first_name":"Ÿ","last_name":"<&>","mrr_cents":0,"plans":[],"status":"a\u0041","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":2}]`,
	"[{\"customer_id\":\"a\u2028b\",\"email\":null,\"first_name\":null,\"last_name\":null,\"mrr_cents\":1,\"plans\":null,\"status\":\"a\",\"created_on\":null,\"activated_on\":null,\"churned_on\":null,\"updated_on\":null,\"total_spend_cents\":2}]",
	"[{\"customer_id\":\"a\xffb\",\"email\":null,\"first_name\":null,\"last_name\":null,\"mrr_cents\":1,\"plans\":null,\"status\":\"a\",\"created_on\":null,\"activated_on\":null,\"churned_on\":null,\"updated_on\":null,\"total_spend_cents\":2}]",
	"[{\"customer_id\":\"a\x7fb\uFFFD\",\"email\":null,\"first_name\":null,\"last_name\":\"\\\"q\\\"\",\"mrr_cents\":1,\"plans\":null,\"status\":\"a\",\"created_on\":null,\"activated_on\":null,\"churned_on\":null,\"updated_on\":null,\"total_spend_cents\":2}]",
}

var rowPages = append(append([]string(nil), canonicalPages...), otherPages...)

func TestCustomerRowsMatchTheTypedDecoder(t *testing.T) {
	t.Parallel()
	for _, page := range rowPages {
		checkRowsMatchCustomers(t, []byte(page))
	}
}

func TestCanonicalPagesAreOnlyScanned(t *testing.T) {
	t.Parallel()
	page := customersPage(250)
	rows, ok := scanCustomerRows(page)
	require.True(t, ok, "the emulator's shape is canonical")
	require.Len(t, rows, 250)
	assert.Equal(t, "cus_00000000000249", rows[249].CustomerID)
	assert.Equal(t, "2023-08-28T10:55:19.919563Z", rows[249].UpdatedOn)
	var c Customer
	require.NoError(t, json.Unmarshal(rows[0].AppendJSON(nil), &c))
	assert.Equal(t, "user0@example.com", *c.Email)
	b, err := json.Marshal([]any{rows[0], &rows[1]})
	require.NoError(t, err)
	assert.Equal(t, "["+rows[0].json+","+rows[1].json+"]", string(b), "encoding a row is encoding its customer")

	for _, page := range canonicalPages {
		_, ok := scanCustomerRows(page)
		assert.True(t, ok, "canonical: %q", page)
	}
	for _, page := range otherPages {
		_, ok := scanCustomerRows(page)
		assert.False(t, ok, "not canonical: %q", page)
	}
}

func TestListCustomerRowsOverHTTP(t *testing.T) {
	t.Parallel()
	page := customersPage(250)
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { respond(w, 200, page) })
	c := newTestClient(t, testConfig(up.URL))
	rows, err := c.Session(NewToken(testToken)).ListCustomerRows(context.Background(), CustomerQuery{PerPage: 250})
	require.NoError(t, err)
	require.Len(t, rows, 250)
	checkRowsMatchCustomers(t, []byte(customersPage(250)))
}

func FuzzCustomerRows(f *testing.F) {
	for _, p := range rowPages {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkRowsMatchCustomers(t, body)
	})
}

func BenchmarkDecodeCustomerRows250(b *testing.B) {
	page := []byte(customersPage(250))
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeCustomerRows(page); err != nil {
			b.Fatal(err)
		}
	}
}
