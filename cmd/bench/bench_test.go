package main

import (
	"os"
	"os/exec"
	"testing"
)

func TestUpstreamRequestsReadsTheMetaAtTheEnd(t *testing.T) {
	body := []byte(`{"bundles":[{"upstreamRequests":9}],"meta":{"module":"listCustomers","returned":1,"hasMore":true,"nextCursor":"x","upstreamRequests":4}}` + "\n")
	if got := upstreamRequests(body); got != 4 {
		t.Fatalf("upstreamRequests = %d, want 4", got)
	}
	if got := upstreamRequests([]byte(`{}`)); got != 0 {
		t.Fatalf("upstreamRequests without meta = %d, want 0", got)
	}
}

func TestProcReadsCPUAndPeakRSSOfAProcess(t *testing.T) {
	p := &proc{name: "self", cmd: &exec.Cmd{Process: &os.Process{Pid: os.Getpid()}}}
	for i := 0; i < 5e7; i++ { // some CPU
		_ = i
	}
	if _, err := p.cpuTime(); err != nil {
		t.Fatal(err)
	}
	if p.peakRSS() <= 0 {
		t.Fatal("no VmHWM")
	}
}

func TestRatiosAndTargets(t *testing.T) {
	res := []result{
		{Scenario: "getPlan", Path: pathDirect, Concurrency: 8, OpsPerS: 200, P50us: 50},
		{Scenario: "getPlan", Path: pathProxy, Concurrency: 8, OpsPerS: 100, P50us: 100, FrontCPUus: 90},
		{Scenario: "getPlan", Path: pathConnector, Concurrency: 8, OpsPerS: 95, P50us: 110, FrontCPUus: 80},
	}
	q := ratioOf("getPlan", 8, res)
	if q.OpsPerS != 0.95 || q.P50 != 1.1 || q.ProxyDirect != 0.5 {
		t.Fatalf("ratio = %+v", q)
	}
	ts := targets(report{Results: res, Ratios: []ratio{q}})
	if len(ts) != 3 {
		t.Fatalf("targets = %+v", ts)
	}
	for _, x := range ts {
		if !x.Met {
			t.Fatalf("target not met: %+v", x)
		}
	}
	res[2].FrontCPUus = 99 // more CPU than the proxy's 90
	ts = targets(report{Results: res, Ratios: []ratio{q}})
	if x := ts[2]; x.Met || x.Value != 1.1 {
		t.Fatalf("CPU target = %+v, want 1.1 and not met", x)
	}
}
