using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary><c>embed merge</c> and <c>embed status</c>: the shard files of a job split with <c>--shards N</c>.</summary>
internal static class ShardsCommand
{
    public static int Merge(string configPath, int shards, bool overwrite, Func<string, string?> environment, TextWriter stdout, TextWriter stderr)
    {
        using var stop = new StopSignals();
        using var logging = CliServices.CreateLogging(verbose: false);
        try
        {
            var job = RunSettings.Load(configPath, environment).Job;
            var timer = System.Diagnostics.Stopwatch.StartNew();
            var rows = ShardMerger.Merge(job, shards, logging.CreateLogger("merge"), overwrite, stop.Token);
            stdout.WriteLine($"Merged {shards} shards: {rows:N0} rows in {job.OutputTable} in {job.OutputDatabasePath} ({timer.Elapsed.TotalSeconds:F1} s).");
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (stop.Stopped)
        {
            stderr.WriteLine("Stopped: nothing was merged; the output is as it was. Run the same command again to merge.");
            return stop.ExitCode;
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, stderr, verbose: false);
        }
    }

    public static int Status(string configPath, int shards, Func<string, string?> environment, TextWriter stdout, TextWriter stderr)
    {
        using var stop = new StopSignals();
        try
        {
            var job = RunSettings.Load(configPath, environment).Job;
            var status = ShardMerger.Status(job, shards, stop.Token);
            foreach (var shard in status)
            {
                var state = !shard.Exists ? "not started"
                    : shard.Running ? "running (the file is open for writing)"
                    : shard.Problem is { } problem ? $"wrong file: {problem}"
                    : shard.Complete ? "done" : "stopped or running";
                var rows = shard.Running ? "?" : shard.RowsDone.ToString("N0", System.Globalization.CultureInfo.CurrentCulture);
                stdout.WriteLine($"shard {shard.Index,3}: {rows,12} of {shard.RowsExpected,12:N0} rows  {state,-18} {shard.Path}");
            }
            var done = status.Sum(s => s.Running ? 0 : s.RowsDone);
            var total = status.Sum(s => s.RowsExpected);
            stdout.WriteLine($"total:     {done,12:N0} of {total,12:N0} rows ({(total == 0 ? 100 : 100.0 * done / total):F1} %); {total - done:N0} left; " +
                $"{status.Count(s => s.Complete)} of {shards} shards done{(status.All(s => s.Complete) ? " — ready to merge" : "")}");
            return ExitCodes.Ok;
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
