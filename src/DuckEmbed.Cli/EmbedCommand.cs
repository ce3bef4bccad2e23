using DuckEmbed.Processor;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Cli;

/// <summary>The <c>embed</c> command: settings in, embedder built, processor run, summary out.</summary>
internal static class EmbedCommand
{
    /// <summary>What the command line asks of one <c>embed</c> run.</summary>
    internal sealed record Request(string ConfigPath, bool Overwrite = false, int? Shards = null, int? ShardIndex = null, bool DryRun = false, bool Sync = false,
        bool KeepDeleted = false);

    public static async Task<int> RunAsync(Request request, CommandContext context, bool liveProgress = false)
    {
        var (environment, stdout, stderr, verbose) = context;
        // Made before the logging, whose console logger writes to what Console.Out is as it is made.
        using var terminal = liveProgress ? LiveTerminal.Attach() : null;
        stdout = terminal?.Out ?? stdout;
        stderr = terminal?.Error ?? stderr;
        using var reporter = terminal is null ? new ConsoleProgressReporter(stdout, TimeSpan.FromSeconds(2)) : new ConsoleProgressReporter(terminal);
        return await CommandRunner.RunAsync(stderr, verbose, async (logging, stop) =>
        {
            try
            {
                return await EmbedAsync(request, environment, (stdout, stderr), reporter, logging, stop);
            }
            catch when (!stop.IsCancellationRequested)
            {
                reporter.EndLine("failed");
                throw;
            }
        }, stopped: () =>
        {
            reporter.EndLine("stopped");
            var done = reporter.Latest is { } latest ? $"{latest.RowsDone:N0} of {latest.TotalRows:N0} rows are committed" : "every committed row is kept";
            return $"Stopped: {done}. Run the same command again to resume where it stopped.";
        });
    }

    private static async Task<int> EmbedAsync(Request request, Func<string, string?> environment, (TextWriter Out, TextWriter Error) console,
        ConsoleProgressReporter reporter, ILoggerFactory logging, CancellationToken stop)
    {
        var (stdout, stderr) = console;
        var logger = logging.CreateLogger("embed");
        var settings = RunSettings.Load(request.ConfigPath, environment);
        var (shard, source) = ShardArguments.Resolve(request.Shards, request.ShardIndex, environment);
        if (shard is not null)
        {
            settings = settings with { Job = settings.Job with { Shard = shard, OutputDatabasePath = shard.PathFor(settings.Job.OutputDatabasePath) } };
            logger.Shard(shard.Index, shard.Count, source, settings.Job.OutputDatabasePath);
        }
        // A typo in the config is reported now, not after loading the model (and int8's calibration).
        EmbeddingProcessor.CheckSettings(settings.Job);
        if (request.DryRun)
        {
            return await DryRunCommand.RunAsync(settings with { Job = settings.Job with { Sync = request.Sync } }, request.Overwrite, logging, stdout, stderr, stop);
        }
        reporter.Activity("loading the model");
        using var generator = CliServices.CreateEmbedder(settings, settings.BatchSize, logging, cancellationToken: stop);
        // Where the batch size is chosen: the user's, or the device's default once the generator knows the device.
        stdout.WriteLine($"BATCH_SIZE={generator.MaxBatchSize}{(settings.BatchSize is null ? $" (the default on {(generator.Device == Onnx.ExecutionDevice.Cuda ? "a GPU" : "the CPU")})" : "")}");
        var job = settings.Job with
        {
            Overwrite = request.Overwrite,
            Sync = request.Sync,
            KeepDeletedRows = request.KeepDeleted,
            WindowSize = settings.WindowSizeFor(generator.MaxBatchSize),
        };
        reporter.RunsOn = $"{generator.Device.ToString().ToLowerInvariant()} {generator.Precision.ToString().ToLowerInvariant()}";
        var summary = await EmbeddingProcessor.ProcessAsync(job, generator, logging.CreateLogger("processor"), reporter, stop);
        reporter.EndLine("done");
        ConsoleProgressReporter.WriteSummary(stdout, summary, job, request.Sync);
        return ExitCodes.Ok;
    }
}
