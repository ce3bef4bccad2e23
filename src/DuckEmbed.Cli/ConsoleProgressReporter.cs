using System.Diagnostics;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary>
/// The run's progress on stdout. On a terminal (<paramref name="live"/>): one line redrawn in place a few times a
/// second — a bar, rows done of the total, the recent rows/s and tokens/s, rows reused, ETA, elapsed and
/// <paramref name="runsOn"/> (device and precision). Otherwise (a pipe, a log file, CI, <c>docker run</c> without
/// <c>-t</c>): a line "Processed X / Y records" with rate and ETA at most every <paramref name="interval"/>.
/// </summary>
internal sealed class ConsoleProgressReporter(TextWriter output, TimeSpan interval, bool live = false, string runsOn = "") : IProgress<EmbeddingProgress>
{
    private const int BarWidth = 24;

    // The rate shown is over the last few seconds: what the run does now, not what start-up did.
    private static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(10);

    private readonly Queue<(long At, long Rows, long Tokens)> _recent = new();
    private long _lastPrinted = long.MinValue;
    private bool _lineOpen;

    /// <summary>The latest progress, so that a stopped run can say where it stopped.</summary>
    public EmbeddingProgress? Latest { get; private set; }

    public void Report(EmbeddingProgress value)
    {
        Latest = value;
        var now = Stopwatch.GetTimestamp();
        _recent.Enqueue((now, value.RowsThisRun, value.Tokens));
        while (_recent.Count > 2 && Stopwatch.GetElapsedTime(_recent.Peek().At, now) > RecentWindow)
        {
            _recent.Dequeue();
        }
        var finished = value.RowsDone >= value.TotalRows;
        var every = live ? TimeSpan.FromMilliseconds(250) : interval;
        if (!finished && _lastPrinted != long.MinValue && Stopwatch.GetElapsedTime(_lastPrinted, now) < every)
        {
            return;
        }
        _lastPrinted = now;
        var percent = value.TotalRows > 0 ? 100.0 * value.RowsDone / value.TotalRows : 100;
        var eta = value.EstimatedRemaining is { } remaining ? FormatDuration(remaining) : "?";
        if (!live)
        {
            output.WriteLine($"Processed {value.RowsDone:N0} / {value.TotalRows:N0} records ({percent:F1} %) — {value.RowsPerSecond:N1} rows/s, ETA {eta}");
            return;
        }
        var (rowsPerSecond, tokensPerSecond) = RecentRates(now, value);
        var filled = (int)Math.Round(BarWidth * percent / 100);
        // \r and "erase to the end of the line": the line is redrawn where it is, whatever it held before.
        output.Write($"\r\u001b[K[{new string('█', filled)}{new string('░', BarWidth - filled)}] {percent,5:F1} %  {value.RowsDone:N0} / {value.TotalRows:N0} rows  " +
            $"{rowsPerSecond:N0} rows/s  {tokensPerSecond:N0} tokens/s  reused {value.ReusedVectors:N0}  ETA {eta}  elapsed {FormatDuration(value.Elapsed)}  {runsOn}");
        _lineOpen = true;
        if (finished)
        {
            // The run logs its last lines before the summary: they start on a line of their own.
            EndLine();
        }
        output.Flush();
    }

    /// <summary>Ends the live line, so that what follows starts on a line of its own.</summary>
    public void EndLine()
    {
        if (_lineOpen)
        {
            output.WriteLine();
            _lineOpen = false;
        }
    }

    private (double Rows, double Tokens) RecentRates(long now, EmbeddingProgress value)
    {
        var (at, rows, tokens) = _recent.Peek();
        var seconds = Stopwatch.GetElapsedTime(at, now).TotalSeconds;
        return seconds > 0.5
            ? ((value.RowsThisRun - rows) / seconds, (value.Tokens - tokens) / seconds)
            : (value.RowsPerSecond, value.Elapsed.TotalSeconds > 0 ? value.Tokens / value.Elapsed.TotalSeconds : 0);
    }

    public static void WriteSummary(TextWriter output, EmbeddingRunSummary summary, string outputPath, string outputTable)
    {
        output.WriteLine($"Done: {summary.RowsWritten:N0} rows written to {outputTable} in {outputPath}");
        output.WriteLine($"  input rows            {summary.InputRows:N0}");
        output.WriteLine($"  already present       {summary.RowsAlreadyPresent:N0} (resumed after them)");
        output.WriteLine($"  NULL texts            {summary.NullTexts:N0} (written with a NULL vector)");
        output.WriteLine($"  truncated texts       {summary.TruncatedTexts:N0} (cut to the model's maximum length)");
        output.WriteLine($"  reused vectors        {summary.ReusedVectors:N0} (texts the same as one embedded earlier, embedded once)");
        output.WriteLine($"  tokens                {summary.Tokens:N0} (the model's input, [CLS] and [SEP] included)");
        output.WriteLine($"  dimensions            {summary.Dimensions}");
        output.WriteLine($"  elapsed               {FormatDuration(summary.Elapsed)}");
        output.WriteLine($"  throughput            {summary.RowsPerSecond:N1} rows/s, {summary.TokensPerSecond:N0} tokens/s");
    }

    internal static string FormatDuration(TimeSpan span) => span.TotalHours >= 1
        ? $"{(int)span.TotalHours}h{span.Minutes:00}m{span.Seconds:00}s"
        : span.TotalMinutes >= 1 ? $"{span.Minutes}m{span.Seconds:00}s" : $"{span.TotalSeconds:F1}s";
}
