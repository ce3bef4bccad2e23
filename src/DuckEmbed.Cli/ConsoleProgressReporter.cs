using System.Diagnostics;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary>
/// The run's progress. On a terminal (made with a <see cref="LiveTerminal"/>): one line under the log, drawn again every
/// half second — a bar, rows done of the total, the recent rows/s and tokens/s, rows reused, ETA, elapsed, the device
/// and precision (<see cref="RunsOn"/>) and what the run is doing. Otherwise (a pipe, a log file, CI, <c>docker run</c>
/// without <c>-t</c>): a line "Processed X / Y records" with rate and ETA at most every interval.
/// </summary>
internal sealed class ConsoleProgressReporter : IProgress<EmbeddingProgress>, IDisposable
{
    private const int BarWidth = 24;

    // The rate shown is over the last few seconds: what the run does now, not what start-up did.
    private static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(10);

    // Often enough that the elapsed time ticks and a new stage shows at once, seldom enough to cost nothing.
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private readonly TextWriter? _plain;
    private readonly TimeSpan _interval;
    private readonly LiveTerminal? _terminal;
    private readonly Timer? _redraw;
    private readonly Queue<(long At, long Rows, long Tokens)> _recent = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _reportedAt;
    private long _lastPrinted = long.MinValue;
    private string? _activity;
    private bool _ended;

    /// <summary>Plain lines on <paramref name="output"/>, at most one every <paramref name="interval"/>.</summary>
    public ConsoleProgressReporter(TextWriter output, TimeSpan interval)
    {
        _plain = output;
        _interval = interval;
    }

    /// <summary>The live line on <paramref name="terminal"/>.</summary>
    public ConsoleProgressReporter(LiveTerminal terminal)
    {
        _terminal = terminal;
        _redraw = new Timer(_ => Draw(), null, RedrawEvery, RedrawEvery);
    }

    /// <summary>The device and precision the model runs with, shown on the live line.</summary>
    public string RunsOn { get; set; } = "";

    /// <summary>The latest progress, so that a stopped run can say where it stopped.</summary>
    public EmbeddingProgress? Latest { get; private set; }

    /// <summary>What happens before the run reports progress (loading the model), shown on the live line with the time it has taken.</summary>
    public void Activity(string activity)
    {
        lock (_gate)
        {
            _activity = activity;
        }
        Draw();
    }

    public void Report(EmbeddingProgress value)
    {
        var now = Stopwatch.GetTimestamp();
        bool draw;
        lock (_gate)
        {
            var rowsChanged = Latest is not { } previous || previous.RowsThisRun != value.RowsThisRun;
            var stageChanged = Latest is not { } before || before.Stage != value.Stage;
            Latest = value;
            _reportedAt = now;
            if (rowsChanged)
            {
                _recent.Enqueue((now, value.RowsThisRun, value.Tokens));
                while (_recent.Count > 2 && Stopwatch.GetElapsedTime(_recent.Peek().At, now) > RecentWindow)
                {
                    _recent.Dequeue();
                }
            }
            if (_plain is not null)
            {
                // A line per written rows; a stage alone is for the live line.
                var due = _lastPrinted == long.MinValue || Stopwatch.GetElapsedTime(_lastPrinted, now) >= _interval || value.RowsDone >= value.TotalRows;
                if (rowsChanged && value.RowsThisRun > 0 && due)
                {
                    _lastPrinted = now;
                    _plain.WriteLine($"Processed {value.RowsDone:N0} / {value.TotalRows:N0} records ({Percent(value):F1} %) — {value.RowsPerSecond:N1} rows/s, ETA {Eta(value, value.Elapsed)}");
                }
                return;
            }
            draw = stageChanged || value.RowsDone >= value.TotalRows || Stopwatch.GetElapsedTime(_lastPrinted, now) >= TimeSpan.FromMilliseconds(250);
        }
        if (draw)
        {
            Draw();
        }
    }

    /// <summary>Draws the live line a last time (with <paramref name="outcome"/> in place of the stage) and goes on below it.</summary>
    public void EndLine(string outcome = "")
    {
        if (_terminal is null)
        {
            return;
        }
        _redraw!.Change(Timeout.Infinite, Timeout.Infinite);
        lock (_gate)
        {
            if (Latest is not null || _activity is not null)
            {
                _terminal.Show(Line(Stopwatch.GetTimestamp(), outcome));
            }
            _activity = null;
            _ended = true;
        }
        _terminal.EndLine();
    }

    public void Dispose() => _redraw?.Dispose();

    private void Draw()
    {
        if (_terminal is null)
        {
            return;
        }
        lock (_gate)
        {
            if (_ended || (Latest is null && _activity is null))
            {
                return;
            }
            var now = Stopwatch.GetTimestamp();
            _lastPrinted = now;
            _terminal.Show(Line(now, null));
        }
    }

    // The line as of now: between reports the elapsed time goes on and the rates and ETA follow it.
    private string Line(long now, string? outcome)
    {
        if (Latest is not { } value || value.Stage == EmbeddingStage.Calibrating)
        {
            var activity = Latest is null ? _activity : $"calibrating int8: embedding {EmbeddingJob.Int8CalibrationRows:N0} sample texts for each dimension's range";
            return $"{activity}  elapsed {FormatDuration(Stopwatch.GetElapsedTime(_started, now))}";
        }
        var elapsed = value.Elapsed + Stopwatch.GetElapsedTime(_reportedAt, now);
        var percent = Percent(value);
        var filled = (int)Math.Round(BarWidth * percent / 100);
        var (rowsPerSecond, tokensPerSecond) = RecentRates(now, value, elapsed);
        return $"[{new string('█', filled)}{new string('░', BarWidth - filled)}] {percent,5:F1} %  {value.RowsDone:N0} / {value.TotalRows:N0} rows  " +
            $"{rowsPerSecond:N0} rows/s  {tokensPerSecond:N0} tokens/s  reused {value.ReusedVectors:N0}  ETA {Eta(value, elapsed)}  " +
            $"elapsed {FormatDuration(elapsed)}  {RunsOn}  {outcome ?? StageName(value.Stage)}";
    }

    private static string StageName(EmbeddingStage stage) => stage switch
    {
        EmbeddingStage.Reading => "reading the input",
        EmbeddingStage.Committing => "committing",
        EmbeddingStage.Checkpoint => "checkpoint",
        _ => "embedding",
    };

    private static double Percent(EmbeddingProgress value) => value.TotalRows > 0 ? 100.0 * value.RowsDone / value.TotalRows : 100;

    // At the run's own rate so far, counted to now.
    private static string Eta(EmbeddingProgress value, TimeSpan elapsed) =>
        value.RowsDone >= value.TotalRows ? FormatDuration(TimeSpan.Zero)
        : value.RowsThisRun > 0 && elapsed > TimeSpan.Zero ? FormatDuration((value.TotalRows - value.RowsDone) * (elapsed / value.RowsThisRun))
        : "?";

    private (double Rows, double Tokens) RecentRates(long now, EmbeddingProgress value, TimeSpan elapsed)
    {
        if (_recent.Count == 0)
        {
            return (0, 0);
        }
        var (at, rows, tokens) = _recent.Peek();
        var seconds = Stopwatch.GetElapsedTime(at, now).TotalSeconds;
        return seconds > 0.5
            ? ((value.RowsThisRun - rows) / seconds, (value.Tokens - tokens) / seconds)
            : (value.RowsThisRun / elapsed.TotalSeconds, value.Tokens / elapsed.TotalSeconds);
    }

    public static void WriteSummary(TextWriter output, EmbeddingRunSummary summary, EmbeddingJob job, bool sync = false)
    {
        var (outputPath, outputTable) = (job.OutputDatabasePath, job.OutputTable);
        output.WriteLine($"Done: {summary.RowsWritten:N0} rows written to {outputTable} in {outputPath}");
        output.WriteLine($"  input rows            {summary.InputRows:N0}");
        if (sync)
        {
            output.WriteLine($"  added                 {summary.RowsAdded:N0} (ids new to the output)");
            output.WriteLine($"  changed               {summary.RowsReplaced:N0} (texts changed in the input: embedded again, each replacing its old row)");
            output.WriteLine($"  deleted               {summary.RowsDeleted:N0} (ids gone from the input{(job.KeepDeletedRows ? $"; kept in {job.DeletedRowsTable}" : "")})");
            output.WriteLine($"  unchanged             {summary.RowsAlreadyPresent:N0} (left as they were)");
        }
        else
        {
            output.WriteLine($"  already present       {summary.RowsAlreadyPresent:N0} (resumed after them)");
        }
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
