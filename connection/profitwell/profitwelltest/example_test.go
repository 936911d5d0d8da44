package profitwelltest_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

func ExampleStart() {
	srv, err := profitwelltest.Start(profitwelltest.Options{Seed: 1, Customers: 10})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/plans/", nil)
	req.Header.Set("Authorization", profitwelltest.DefaultToken) // the bare token, no "Bearer"
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 [{"id":"starter","name":"Starter"},{"id":"growth","name":"Growth"},{"id":"pro","name":"Pro"},{"id":"enterprise","name":"Enterprise"},{"id":"annual-pro","name":"Pro (annual)"}]
}

func ExampleEmulator_InjectFault() {
	srv, err := profitwelltest.Start(profitwelltest.Options{Customers: 10})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	srv.Emulator.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultRateLimit, RetryAfter: 3, PathPrefix: "/v2/customers/"})

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/customers/", nil)
	req.Header.Set("Authorization", profitwelltest.DefaultToken)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"), string(body))
	// Output:
	// 429 3 {"detail":"Request was throttled. Expected available in 3 seconds."}
}
