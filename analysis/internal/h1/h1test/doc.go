// Package h1test builds synthetic analysis events for the tests of the
// HTTP/1.x connection-management detectors: connections with handshake
// halves, HTTP messages with the fields the detectors read, close events,
// and Play, which feeds them to an analyser in capture order and returns the
// findings it emits.
//
// Inputs: test descriptions. Outputs: events and findings. Concurrency: none;
// each test builds its own values. Buffer ownership: every value returned
// is fresh. Limits: meant for small hand-written scenarios only.
package h1test
