using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary><c>embed verify</c>: checks a finished output against its input and model; exit 0 only when all holds.</summary>
internal static class VerifyCommand
{
    public static async Task<int> RunAsync(string configPath, int sampleRows, Func<string, string?> environment, TextWriter stdout, TextWriter stderr)
    {
        using var stop = new StopSignals();
        using var logging = CliServices.CreateLogging(verbose: false);
        try
        {
            var settings = RunSettings.Load(configPath, environment);
            using var generator = CliServices.CreateEmbedder(settings, settings.BatchSize, logging);
            var job = settings.Job with { GeneratorSettings = generator.Settings };
            var report = await EmbeddingVerifier.VerifyAsync(job, generator, sampleRows, stop.Token);
            stdout.WriteLine($"{job.OutputTable} in {job.OutputDatabasePath}: {report.Rows:N0} rows for {report.InputRows:N0} input rows; " +
                $"{report.SampledRows} sampled rows embedded again, lowest cosine {report.LowestSampleCosine:F6}");
            foreach (var problem in report.Problems)
            {
                stdout.WriteLine($"problem: {problem}");
            }
            stdout.WriteLine(report.Passed ? "OK: every input row is there once, with the vector this model and these settings give." : $"FAILED: {report.Problems.Count} problem(s).");
            return report.Passed ? ExitCodes.Ok : ExitCodes.UserError;
        }
        catch (OperationCanceledException) when (stop.Stopped)
        {
            return stop.ExitCode;
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, stderr, verbose: false);
        }
    }
}
