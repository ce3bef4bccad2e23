using System.Globalization;
using DuckEmbed.Onnx;
using DuckEmbed.Processor;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Cli;

/// <summary>
/// <c>embed benchmark</c>: runs the real pipeline (input → embedder → a throw-away output database) on a sample
/// of the input for several batch sizes, and recommends the smallest within 5 % of the fastest. The user's output
/// database is never opened.
/// </summary>
internal static class BenchmarkCommand
{
    /// <summary>Most rows one batch size is measured on: a sample, not the job.</summary>
    internal const int MaxRows = 1_000_000;

    public static Task<int> RunAsync(string configPath, IReadOnlyList<int> batchSizes, int rows, string? plotPath, CommandContext context) =>
        CommandRunner.RunAsync(context, async (logging, cancellationToken) =>
        {
            var scratch = Directory.CreateTempSubdirectory("duckembed-benchmark-");
            try
            {
                if (batchSizes.Count == 0 || batchSizes.Any(size => size is < 1 or > RunSettings.MaxBatchSize))
                {
                    throw new CliUsageException($"--sizes must be batch sizes from 1 to {RunSettings.MaxBatchSize:N0}, not {string.Join(" ", batchSizes)}.");
                }
                if (rows is < 1 or > MaxRows)
                {
                    throw new CliUsageException($"--rows must be from 1 to {MaxRows:N0}, not {rows}.");
                }
                var settings = File.Exists(configPath) ? RunSettings.Load(configPath, context.Environment) : BundledExample(context.Environment);
                context.Out.WriteLine($"Benchmark: up to {rows} rows of {settings.Job.InputTable} in {settings.Job.InputDatabasePath}, through the full pipeline into a scratch database");
                // Warm-up: JIT, ONNX Runtime's first-run allocations and the page cache, outside the timed runs.
                var warmUp = await MeasureAsync(settings, batchSizes[0], Math.Min(rows, 64), scratch.FullName, logging, cancellationToken);

                var results = new List<BenchmarkResult>();
                context.Out.WriteLine();
                context.Out.WriteLine($"  BATCH_SIZE       rows     rows/s   tokens/s   peak memory{(warmUp.GpuMegabytes is null ? "" : "    GPU memory")}");
                foreach (var batchSize in batchSizes)
                {
                    var result = await MeasureAsync(settings, batchSize, rows, scratch.FullName, logging, cancellationToken);
                    results.Add(result);
                    var summary = result.Summary;
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {batchSize,10} {summary.RowsWritten,10} {summary.RowsPerSecond,10:F1} {summary.TokensPerSecond,10:F0} {result.PeakMegabytes,10:F0} MB") +
                        (result.GpuMegabytes is { } gpu ? string.Create(CultureInfo.InvariantCulture, $" {gpu,10:F0} MB") : ""));
                }

                var fastest = results.Max(r => r.Summary.RowsPerSecond);
                var chosen = results.Where(r => r.Summary.RowsPerSecond >= 0.95 * fastest).MinBy(r => r.BatchSize)!;
                context.Out.WriteLine();
                context.Out.WriteLine($"Recommended: BATCH_SIZE={chosen.BatchSize} (the smallest within 5 % of the fastest, {fastest:F1} rows/s)");
                context.Out.WriteLine($"  export BATCH_SIZE={chosen.BatchSize}");
                if (plotPath is { Length: > 0 })
                {
                    DrawPlot(plotPath, results, chosen.BatchSize, settings, context.Out, context.Error);
                }
                return ExitCodes.Ok;
            }
            finally
            {
                scratch.Delete(recursive: true);
            }
        }, stopped: () => "Stopped; the scratch database is deleted.");

    // A picture that cannot be drawn (no room, a folder that cannot be written, a graphics library that does not load
    // on this system) costs the picture, with a warning, not the table and its recommendation.
    private static void DrawPlot(string path, List<BenchmarkResult> results, int chosen,
        RunSettings settings, TextWriter stdout, TextWriter stderr)
    {
        var full = Path.GetFullPath(path);
        try
        {
            BenchmarkPlot.Save(full, results, chosen, settings.Device.ToString().ToLowerInvariant());
            stdout.WriteLine($"Plot: {full}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            stderr.WriteLine($"warning: the plot could not be written to {full}: {e.Message}");
        }
    }

    private static async Task<BenchmarkResult> MeasureAsync(RunSettings settings, int batchSize, int rows,
        string scratch, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var job = settings.Job with
        {
            OutputDatabasePath = Path.Combine(scratch, $"batch-{batchSize}-{Guid.NewGuid():N}.duckdb"),
            OutputTable = "benchmark",
            MaxRows = rows,
            WindowSize = settings.WindowSizeFor(batchSize),
        };
        PeakMemory.Reset();
        // Started before the model loads, so that its weights and ONNX Runtime's arena count.
        using var gpu = settings.Device == ExecutionDevice.Cpu ? null : GpuMemoryMonitor.Start();
        using var generator = CliServices.CreateEmbedder(settings, batchSize, logging, cancellationToken: cancellationToken);
        var summary = await EmbeddingProcessor.ProcessAsync(job, generator, NullLogger.Instance,
            cancellationToken: cancellationToken);
        return new BenchmarkResult(batchSize, summary, PeakMemory.Read() / 1048576.0,
            generator.Device == ExecutionDevice.Cuda ? gpu?.Stop() : null);
    }

    private static RunSettings BundledExample(Func<string, string?> environment)
    {
        var example = Path.Combine(AppContext.BaseDirectory, "example", "config.json");
        return RunSettings.Load(example, environment);
    }
}
