using System.Diagnostics;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary>Prints "Processed X / Y records" with rate and ETA, at most every <c>interval</c>, and the final summary.</summary>
internal sealed class ConsoleProgressReporter(TextWriter output, TimeSpan interval) : IProgress<EmbeddingProgress>
{
    private long _lastPrinted = long.MinValue;

    /// <summary>The latest progress, so that a stopped run can say where it stopped.</summary>
    public EmbeddingProgress? Latest { get; private set; }

    public void Report(EmbeddingProgress value)
    {
        Latest = value;
        var now = Stopwatch.GetTimestamp();
        var finished = value.RowsDone >= value.TotalRows;
        if (!finished && _lastPrinted != long.MinValue && Stopwatch.GetElapsedTime(_lastPrinted, now) < interval)
        {
            return;
        }
        _lastPrinted = now;
        var percent = value.TotalRows > 0 ? 100.0 * value.RowsDone / value.TotalRows : 100;
        var eta = value.EstimatedRemaining is { } remaining ? FormatDuration(remaining) : "?";
        output.WriteLine($"Processed {value.RowsDone:N0} / {value.TotalRows:N0} records ({percent:F1} %) — {value.RowsPerSecond:N1} rows/s, ETA {eta}");
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
