using System.Text;
using System.Text.RegularExpressions;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli.Tests;

/// <summary>The live line and what is printed around it, read as a terminal shows the bytes written to it.</summary>
public sealed partial class LiveTerminalTests : IDisposable
{
    private readonly StringWriter _written = new();

    public void Dispose() => _written.Dispose();

    [Fact]
    public void Lines_printed_while_the_live_line_shows_appear_above_it_and_the_live_line_stays_last()
    {
        using var terminal = new LiveTerminal(_written, _written);

        terminal.Show("live 1");
        terminal.Out.WriteLine("a log line");
        terminal.Error.Write("a warning ");
        terminal.Error.WriteLine("in two parts");
        terminal.Show("live 2");
        terminal.EndLine();
        terminal.Out.WriteLine("the summary");

        Assert.Equal(["a log line", "a warning in two parts", "live 2", "the summary"], Screen());
    }

    [Fact]
    public void The_live_line_names_what_the_run_waits_on_from_loading_the_model_to_the_checkpoint()
    {
        using var terminal = new LiveTerminal(_written, _written);
        using var reporter = new ConsoleProgressReporter(terminal) { RunsOn = "cpu fp32" };

        reporter.Activity("loading the model");
        Assert.StartsWith("loading the model  elapsed ", Screen()[^1], StringComparison.Ordinal);

        var elapsed = TimeSpan.FromSeconds(1);
        reporter.Report(new EmbeddingProgress(0, 100, 0, elapsed) { Stage = EmbeddingStage.Reading });
        Assert.EndsWith("0 / 100 rows  0 rows/s  0 tokens/s  reused 0  ETA ?  elapsed 1.0s  cpu fp32  reading the input", Screen()[^1], StringComparison.Ordinal);
        reporter.Report(new EmbeddingProgress(40, 100, 40, elapsed) { Stage = EmbeddingStage.Embedding });
        Assert.EndsWith("cpu fp32  embedding", Screen()[^1], StringComparison.Ordinal);
        Assert.Contains(" 40.0 %  40 / 100 rows", Screen()[^1], StringComparison.Ordinal);
        reporter.Report(new EmbeddingProgress(40, 100, 40, elapsed) { Stage = EmbeddingStage.Committing });
        Assert.EndsWith("cpu fp32  committing", Screen()[^1], StringComparison.Ordinal);
        reporter.Report(new EmbeddingProgress(100, 100, 100, elapsed) { Stage = EmbeddingStage.Checkpoint });
        Assert.EndsWith("cpu fp32  checkpoint", Screen()[^1], StringComparison.Ordinal);
        reporter.EndLine("done");
        terminal.Out.WriteLine("Done: …");

        var screen = Screen();
        Assert.Equal(["Done: …"], screen[^1..]);
        Assert.Contains("100.0 %  100 / 100 rows", screen[^2], StringComparison.Ordinal);
        Assert.EndsWith("cpu fp32  done", screen[^2], StringComparison.Ordinal);
        Assert.Equal(2, screen.Count);
    }

    [Fact]
    public void Between_reports_the_live_line_is_drawn_again_with_the_time_gone_on()
    {
        using var terminal = new LiveTerminal(_written, _written);
        using var reporter = new ConsoleProgressReporter(terminal) { RunsOn = "cpu fp32" };

        reporter.Report(new EmbeddingProgress(10, 100, 10, TimeSpan.FromSeconds(5)));
        var first = ElapsedShown();
        // The redraw is a thread-pool timer every 0.5 s, whose ticks come late when the pool is busy (the suite runs
        // in parallel): wait until the line shows a second more, for up to 10 s, rather than for a fixed time.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        double later;
        while ((later = ElapsedShown()) < first + 1 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(100);
        }

        Assert.Equal(5.0, first, 1);
        Assert.InRange(later, 6.0, 5.0 + waited.Elapsed.TotalSeconds + 0.5);
        Assert.Contains(" 10 / 100 rows", Screen()[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Into_a_pipe_a_stage_alone_prints_nothing_and_written_rows_print_a_processed_line()
    {
        using var reporter = new ConsoleProgressReporter(_written, TimeSpan.Zero);

        reporter.Report(new EmbeddingProgress(0, 100, 0, TimeSpan.FromSeconds(1)) { Stage = EmbeddingStage.Reading });
        reporter.Report(new EmbeddingProgress(50, 100, 50, TimeSpan.FromSeconds(2)));
        reporter.Report(new EmbeddingProgress(50, 100, 50, TimeSpan.FromSeconds(3)) { Stage = EmbeddingStage.Committing });
        reporter.Report(new EmbeddingProgress(100, 100, 100, TimeSpan.FromSeconds(4)) { Stage = EmbeddingStage.Checkpoint });
        reporter.EndLine("done");

        Assert.Equal(["Processed 50 / 100 records (50.0 %) — 25.0 rows/s, ETA 2.0s", "Processed 100 / 100 records (100.0 %) — 25.0 rows/s, ETA 0.0s"],
            _written.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private double ElapsedShown() => double.Parse(ElapsedPattern().Match(Screen()[^1]).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    // The lines a terminal would show for what was written: \r goes back to the line's start, ESC[K erases to its end.
    private List<string> Screen()
    {
        var lines = new List<StringBuilder> { new() };
        var column = 0;
        var text = _written.ToString();
        for (var i = 0; i < text.Length; i++)
        {
            var line = lines[^1];
            switch (text[i])
            {
                case '\r':
                    column = 0;
                    break;
                case '\n':
                    lines.Add(new StringBuilder());
                    column = 0;
                    break;
                case '\u001b' when text.AsSpan(i).StartsWith("\u001b[K"):
                    line.Length = Math.Min(line.Length, column);
                    i += 2;
                    break;
                default:
                    if (column < line.Length)
                    {
                        line[column] = text[i];
                    }
                    else
                    {
                        line.Append(text[i]);
                    }
                    column++;
                    break;
            }
        }
        return [.. lines.Select(l => l.ToString()).Where((l, i) => i < lines.Count - 1 || l.Length > 0)];
    }

    [GeneratedRegex(@"elapsed (\d+\.\d)s")]
    private static partial Regex ElapsedPattern();
}
