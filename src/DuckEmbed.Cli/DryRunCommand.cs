using System.Diagnostics;
using System.Globalization;
using DuckEmbed.Processor;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Cli;

/// <summary>
/// <c>embed --dry-run</c>: the model loaded and every check made as a run would, then what the run would do — rows,
/// time (model load plus the rows at the rate of a sample embedded here), disk — with nothing written: the input and
/// an existing output are opened read-only, and a model conversion (int8, fp16) goes to a temporary folder that is
/// deleted, not to the model cache.
/// </summary>
internal static class DryRunCommand
{
    public static async Task<int> RunAsync(RunSettings settings, bool overwrite, ILoggerFactory logging, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"duckembed-dry-run-{Guid.NewGuid():N}");
        try
        {
            var loading = Stopwatch.StartNew();
            using var generator = CliServices.CreateEmbedder(settings with { ModelCache = scratch }, settings.BatchSize, logging, cancellationToken: cancellationToken);
            var loadTime = loading.Elapsed;
            var job = settings.Job with { Overwrite = overwrite, WindowSize = settings.WindowSizeFor(generator.MaxBatchSize) };
            var plan = await EmbeddingPlan.MakeAsync(job, generator, cancellationToken: cancellationToken).ConfigureAwait(false);

            var rate = plan.SampleTime > TimeSpan.Zero ? plan.SampleRows / plan.SampleTime.TotalSeconds : 0;
            stdout.WriteLine("Dry run: nothing was written.");
            stdout.WriteLine(Invariant($"  input rows      {plan.InputRows:N0}"));
            if (job.Sync)
            {
                stdout.WriteLine(Invariant($"  unchanged       {plan.RowsPresent:N0}"));
                stdout.WriteLine(Invariant($"  to add          {plan.RowsToEmbed - plan.RowsToReplace:N0}"));
                stdout.WriteLine(Invariant($"  to change       {plan.RowsToReplace:N0} (texts changed in the input: embedded again)"));
                stdout.WriteLine(Invariant($"  to delete       {plan.RowsToDelete:N0} (ids gone from the input)"));
            }
            else
            {
                stdout.WriteLine(Invariant($"  already done    {plan.RowsPresent:N0}"));
            }
            stdout.WriteLine(Invariant($"  to embed        {plan.RowsToEmbed:N0}"));
            stdout.WriteLine(Invariant($"  time            about {ConsoleProgressReporter.FormatDuration(loadTime + plan.EstimatedTime)}: {loadTime.TotalSeconds:F1} s to load the model, then {plan.RowsToEmbed:N0} rows at {rate:N0} rows/s ({plan.SampleRows:N0} sample texts embedded in {plan.SampleTime.TotalSeconds:F1} s on this machine, BATCH_SIZE={generator.MaxBatchSize}, {generator.Device.ToString().ToLowerInvariant()})"));
            stdout.WriteLine(plan.Disk is { } disk ? $"  disk            about {disk.Describe()}" : "  disk            the output's file system does not say how much is free");
            if (plan.Disk is { Fits: false } tooMuch && job.CheckDiskSpace)
            {
                stderr.WriteLine(Invariant($"error: output_db_path: the run would be refused: {plan.RowsToEmbed:N0} rows need about {tooMuch.Describe()}."));
                return ExitCodes.UserError;
            }
            return ExitCodes.Ok;
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
