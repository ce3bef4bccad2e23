using DuckEmbed.Processor;
using Microsoft.Extensions.Logging;

namespace DuckEmbed.Cli;

/// <summary>The <c>embed</c> command: settings in, embedder built, processor run, summary out.</summary>
internal static class EmbedCommand
{

    public static async Task<int> RunAsync(string configPath, bool verbose, bool overwrite, Func<string, string?> environment,
        TextWriter stdout, TextWriter stderr, int? shards = null, int? shardIndex = null, bool dryRun = false, bool liveProgress = false)
    {
        // Made before the logging, whose console logger writes to what Console.Out is as it is made.
        using var terminal = liveProgress ? LiveTerminal.Attach() : null;
        stdout = terminal?.Out ?? stdout;
        stderr = terminal?.Error ?? stderr;
        using var loggerFactory = CliServices.CreateLogging(verbose);
        var logger = loggerFactory.CreateLogger("embed");

        using var stop = new StopSignals();

        using var reporter = terminal is null ? new ConsoleProgressReporter(stdout, TimeSpan.FromSeconds(2)) : new ConsoleProgressReporter(terminal);
        try
        {
            var settings = RunSettings.Load(configPath, environment);
            var (shard, source) = ShardArguments.Resolve(shards, shardIndex, environment);
            if (shard is not null)
            {
                settings = settings with { Job = settings.Job with { Shard = shard, OutputDatabasePath = shard.PathFor(settings.Job.OutputDatabasePath) } };
                logger.LogInformation("Shard {Index} of {Count} (index from {Source}) into {Path}", shard.Index, shard.Count, source, settings.Job.OutputDatabasePath);
            }
            // A typo in the config is reported now, not after loading the model (and int8's calibration).
            EmbeddingProcessor.CheckSettings(settings.Job);
            if (dryRun)
            {
                return await DryRunCommand.RunAsync(settings, overwrite, loggerFactory, stdout, stderr, stop.Token);
            }
            reporter.Activity("loading the model");
            using var generator = CliServices.CreateEmbedder(settings, settings.BatchSize, loggerFactory, cancellationToken: stop.Token);
            // Where the batch size is chosen: the user's, or the device's default once the generator knows the device.
            stdout.WriteLine($"BATCH_SIZE={generator.MaxBatchSize}{(settings.BatchSize is null ? $" (the default on {(generator.Device == Onnx.ExecutionDevice.Cuda ? "a GPU" : "the CPU")})" : "")}");
            var job = settings.Job with
            {
                Overwrite = overwrite,
                WindowSize = settings.WindowSizeFor(generator.MaxBatchSize),
            };
            reporter.RunsOn = $"{generator.Device.ToString().ToLowerInvariant()} {generator.Precision.ToString().ToLowerInvariant()}";
            var summary = await EmbeddingProcessor.ProcessAsync(job, generator,
                loggerFactory.CreateLogger("processor"), reporter, stop.Token);
            reporter.EndLine("done");
            ConsoleProgressReporter.WriteSummary(stdout, summary, settings.Job.OutputDatabasePath, settings.Job.OutputTable);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (stop.Stopped)
        {
            reporter.EndLine("stopped");
            var done = reporter.Latest is { } latest ? $"{latest.RowsDone:N0} of {latest.TotalRows:N0} rows are committed" : "every committed row is kept";
            stderr.WriteLine($"Stopped: {done}. Run the same command again to resume where it stopped.");
            return stop.ExitCode;
        }
        catch (Exception e)
        {
            reporter.EndLine("failed");
            return CliErrors.Report(e, stderr, verbose);
        }
    }
}
