package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/spf13/cobra"

	"connscope/capture"
	"connscope/internal/demo"
	"connscope/internal/pipeline"
	"connscope/report"
)

// seeOptions are the flags of the visual outputs: the HTML report's graph
// count and --annotate, which writes the input with the findings as
// pcapng packet comments.
type seeOptions struct {
	annotate  string
	maxGraphs int
	// reopen opens the input again for the annotation passes; nil when the
	// input cannot be read twice (standard input).
	reopen func() (capture.Source, error)
	stdin  bool
}

// maxCommentBytes caps one packet comment (a pcapng option holds at most
// 65535 bytes).
const maxCommentBytes = 4096

func (s *seeOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.annotate, "annotate", "", "also write the input packets to `FILE` (pcapng) with a comment on each packet a finding points at")
	f.IntVar(&s.maxGraphs, "max-graphs", 20, "most connections drawn as time-sequence graphs in the HTML report")
}

// apply sets the analysis options the chosen format needs: the HTML report
// asks the analysers for segment series.
func (s *seeOptions) apply(cfg *pipeline.Config, format string) error {
	if s.maxGraphs < 1 {
		return usageError{errors.New("--max-graphs must be at least 1")}
	}
	if format == "html" {
		cfg.Analysis.Series = true
		cfg.Analysis.SeriesConns = s.maxGraphs
	}
	return nil
}

// fromFiles remembers how to reopen capture files; it refuses --annotate
// with standard input, which cannot be read a second time.
func (s *seeOptions) fromFiles(paths []string, opts capture.Options) error {
	if s.annotate == "" {
		return nil
	}
	if slices.Contains(paths, "-") {
		return usageError{errors.New("--annotate needs capture files: standard input (\"-\") cannot be read a second time")}
	}
	paths = slices.Clone(paths)
	s.reopen = func() (capture.Source, error) { return capture.OpenFiles(paths, opts) }
	return nil
}

// fromDemo reopens the embedded demo capture.
func (s *seeOptions) fromDemo() {
	s.reopen = func() (capture.Source, error) { return capture.OpenReader(demo.Name, demo.Open()) }
}

// htmlOptions are the HTML writer's options.
func (s *seeOptions) htmlOptions() report.HTMLOptions {
	return report.HTMLOptions{MaxGraphs: s.maxGraphs}
}

// annotateCapture writes the annotated pcapng when --annotate was given:
// one pass maps the findings to packet ordinals, a second copies every
// record unchanged, adding "connscope: <kind>: <summary>" comments.
func (s *seeOptions) annotateCapture(ctx context.Context, rep *report.Report, cfg pipeline.Config, stderr io.Writer) error {
	if s.annotate == "" {
		return nil
	}
	if s.reopen == nil {
		return errors.New("--annotate: the input cannot be read a second time")
	}
	src, err := s.reopen()
	if err != nil {
		return fmt.Errorf("annotate: %w", err)
	}
	marks, err := pipeline.FindingPackets(ctx, src, cfg, rep)
	src.Close()
	if err != nil {
		return fmt.Errorf("annotate: %w", err)
	}
	src, err = s.reopen()
	if err != nil {
		return fmt.Errorf("annotate: %w", err)
	}
	defer src.Close()
	raw, ok := src.(capture.RawReader)
	if !ok {
		return errors.New("annotate: the input does not give raw records")
	}
	var n int
	err = writeFileAtomic(s.annotate, func(w io.Writer) error {
		var e error
		n, e = writeAnnotated(w, raw, marks, rep)
		return e
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "connscope: annotated %d packets in %s\n", n, s.annotate)
	return nil
}

// writeAnnotated copies every record of raw to w as pcapng (one interface
// per link type, nanosecond timestamps), with comments on the packets in
// marks. It returns the number of packets commented.
func writeAnnotated(w io.Writer, raw capture.RawReader, marks map[uint64][]int, rep *report.Report) (int, error) {
	var (
		ng      *pcapgo.NgWriter
		ifaces  = map[uint16]int{}
		comment int
	)
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "connscope " + Version}}
	for {
		rec, err := raw.NextRaw()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return comment, err
		}
		intf := pcapgo.NgInterface{Name: "connscope", LinkType: layers.LinkType(rec.LinkType), TimestampResolution: 9}
		id, ok := ifaces[rec.LinkType]
		switch {
		case ng == nil:
			if ng, err = pcapgo.NewNgWriterInterface(w, intf, opts); err != nil {
				return comment, err
			}
			id = 0
			ifaces[rec.LinkType] = id
		case !ok:
			if id, err = ng.AddInterface(intf); err != nil {
				return comment, err
			}
			ifaces[rec.LinkType] = id
		}
		ci := gopacket.CaptureInfo{
			Timestamp:      time.Unix(0, rec.Time).UTC(),
			CaptureLength:  len(rec.Data),
			Length:         max(rec.WireLen, len(rec.Data)),
			InterfaceIndex: id,
		}
		var po pcapgo.NgPacketOptions
		for _, fi := range marks[rec.Index] {
			f := &rep.Findings[fi]
			c := "connscope: " + report.Escape(f.Kind) + ": " + report.Escape(f.Summary)
			if len(c) > maxCommentBytes {
				c = cutUTF8(c, maxCommentBytes)
			}
			po.Comments = append(po.Comments, c)
		}
		if len(po.Comments) > 0 {
			comment++
		}
		if err := ng.WritePacketWithOptions(ci, rec.Data, po); err != nil {
			return comment, err
		}
	}
	if ng == nil {
		// An input without records still becomes a valid pcapng file.
		var err error
		if ng, err = pcapgo.NewNgWriterInterface(w, pcapgo.NgInterface{Name: "connscope", LinkType: layers.LinkTypeEthernet, TimestampResolution: 9}, opts); err != nil {
			return 0, err
		}
	}
	return comment, ng.Flush()
}

// cutUTF8 shortens s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
