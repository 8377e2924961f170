// The Go program that printed the expected instants of Tests/CronTests/GoAddDateTests.swift and
// Tests/BackupKitTests/Retention/RetentionWithinDSTTests.swift (restic's keepWithin arithmetic,
// latest.AddDate(0, 0, -days).Add(-hours)). Not run by the tests: `go run scripts/adddate-vectors.go`
// (Debian golang-go) reproduces them.
package main

import (
	"fmt"
	"time"
)

func main() {
	cases := []struct {
		zone   string
		latest string
		days   int
		hours  int
	}{
		{"Europe/Berlin", "2026-03-30T02:30:00+02:00", 1, 0},
		{"Europe/Berlin", "2026-03-30T02:00:00+02:00", 1, 0},
		{"Europe/Berlin", "2026-03-30T02:59:59+02:00", 1, 0},
		{"Europe/Berlin", "2026-03-30T03:00:00+02:00", 1, 0},
		{"Europe/Berlin", "2026-04-05T02:30:00+02:00", 7, 0},
		{"Europe/Berlin", "2026-03-30T02:30:00+02:00", 1, 2},
		{"Europe/Berlin", "2026-10-26T02:30:00+01:00", 1, 0},
		{"Europe/Berlin", "2026-10-26T02:00:00+01:00", 1, 0},
		{"Europe/Berlin", "2026-10-26T01:59:59+01:00", 1, 0},
		{"Europe/Berlin", "2026-11-01T02:30:00+01:00", 7, 0},
		{"Europe/Berlin", "2026-10-25T02:30:00+02:00", 0, 30},
		{"Europe/Berlin", "2026-10-25T02:30:00+02:00", 0, 2},
		{"Europe/Berlin", "2026-10-25T02:30:00+01:00", 0, 30},
		{"Europe/Berlin", "2026-10-25T02:30:00+02:00", 3, 0},
		{"Europe/Berlin", "2026-03-29T03:30:00+02:00", 1, 0},
		{"America/New_York", "2026-03-09T02:30:00-04:00", 1, 0},
		{"America/New_York", "2026-03-09T02:00:00-04:00", 1, 0},
		{"America/New_York", "2026-03-09T02:59:59-04:00", 1, 0},
		{"America/New_York", "2026-03-09T03:00:00-04:00", 1, 0},
		{"America/New_York", "2026-03-15T02:30:00-04:00", 7, 0},
		{"America/New_York", "2026-11-02T01:30:00-05:00", 1, 0},
		{"America/New_York", "2026-11-02T01:00:00-05:00", 1, 0},
		{"America/New_York", "2026-11-02T02:00:00-05:00", 1, 0},
		{"America/New_York", "2026-11-01T01:30:00-05:00", 0, 24},
		{"America/New_York", "2026-11-01T01:30:00-04:00", 0, 24},
		{"America/New_York", "2026-11-08T01:30:00-05:00", 7, 12},
		{"America/New_York", "2026-03-08T01:30:00-05:00", 0, 0},
	}
	for _, c := range cases {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			panic(err)
		}
		t, err := time.Parse(time.RFC3339, c.latest)
		if err != nil {
			panic(err)
		}
		t = t.In(loc)
		r := t.AddDate(0, 0, -c.days).Add(time.Hour * time.Duration(-c.hours))
		fmt.Printf("%s %s -%dd%dh -> %s (%s)\n", c.zone, c.latest, c.days, c.hours, r.Format(time.RFC3339), r.UTC().Format(time.RFC3339))
	}
}
