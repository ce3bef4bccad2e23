using System.Globalization;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary><c>embed merge</c> and <c>embed status</c>: the shard files of a job split with <c>--shards N</c>.</summary>
internal static class ShardsCommand
{
    public static int Merge(string configPath, int shards, (bool Overwrite, bool Sync) mode, CommandContext context) =>
        CommandRunner.Run(context, (logging, stop) =>
        {
            var (overwrite, sync) = mode;
            var job = RunSettings.Load(configPath, context.Environment).Job with { Sync = sync };
            var timer = System.Diagnostics.Stopwatch.StartNew();
            var rows = ShardMerger.Merge(job, shards, logging.CreateLogger("merge"), overwrite, stop);
            context.Out.WriteLine($"Merged {shards} shards: {rows:N0} rows in {job.OutputTable} in {job.OutputDatabasePath} ({timer.Elapsed.TotalSeconds:F1} s).");
            return ExitCodes.Ok;
        }, stopped: () => "Stopped: nothing was merged; the output is as it was. Run the same command again to merge.");

    public static int Status(string configPath, int? shardCount, CommandContext context) =>
        CommandRunner.Run(context, (_, stop) =>
        {
            var job = RunSettings.Load(configPath, context.Environment).Job;
            if (shardCount is not { } shards)
            {
                WriteRunStatus(RunStatus.Of(job), job, context.Out);
                return ExitCodes.Ok;
            }
            var status = ShardMerger.Status(job, shards, stop);
            foreach (var shard in status)
            {
                var state = !shard.Exists ? "not started"
                    : shard.Running ? "running (the file is open for writing)"
                    : shard.Problem is { } problem ? $"wrong file: {problem}"
                    : shard.Complete ? "done" : "stopped or running";
                var rows = shard.Running ? "?" : shard.RowsDone.ToString("N0", System.Globalization.CultureInfo.CurrentCulture);
                context.Out.WriteLine($"shard {shard.Index,3}: {rows,12} of {shard.RowsExpected,12:N0} rows  {state,-18} {shard.Path}");
            }
            var done = status.Sum(s => s.Running ? 0 : s.RowsDone);
            var total = status.Sum(s => s.RowsExpected);
            context.Out.WriteLine($"total:     {done,12:N0} of {total,12:N0} rows ({(total == 0 ? 100 : 100.0 * done / total):F1} %); {total - done:N0} left; " +
                $"{status.Count(s => s.Complete)} of {shards} shards done{(status.All(s => s.Complete) ? " — ready to merge" : "")}");
            return ExitCodes.Ok;
        });

    private static readonly string[] MadeWith = ["model_id", "precision", "pooling", "max_length", "prompt", "truncate_dim", "vector_precision"];

    private static void WriteRunStatus(RunStatus status, EmbeddingJob job, TextWriter stdout)
    {
        var output = Path.GetFullPath(job.OutputDatabasePath);
        var written = status.LastWrittenUtc is { } at
            ? string.Create(CultureInfo.InvariantCulture, $"; last written {at:yyyy-MM-dd HH:mm:ss} UTC ({Ago(DateTime.UtcNow - at)} ago)")
            : "";
        if (!status.OutputExists)
        {
            stdout.WriteLine($"not started: {output} does not exist; {status.InputRows:N0} rows to embed.");
            return;
        }
        if (status.Running)
        {
            stdout.WriteLine($"running: another process has {output} open for writing, so its rows cannot be counted until it stops{written}.");
            return;
        }
        var share = status.InputRows == 0 ? 100 : 100.0 * status.RowsDone / status.InputRows;
        stdout.WriteLine($"{job.OutputTable} in {output}: {status.RowsDone:N0} of {status.InputRows:N0} rows ({share:F1} %), {status.RowsLeft:N0} left" +
            $"{(status.RowsLeft == 0 ? " — done" : status.RowsChanged + status.RowsGone > 0 ? "" : " — run the same command to go on")}{written}.");
        if (status.RowsChanged > 0 || status.RowsGone > 0)
        {
            stdout.WriteLine($"the input changed since: {status.RowsChanged:N0} rows have another text, {status.RowsGone:N0} ids are gone, {status.RowsLeft:N0} are new " +
                "— embed sync brings the output up to date (embed sync --dry-run says what it would do).");
        }
        var made = MadeWith.Where(status.Provenance.ContainsKey).Select(key => $"{key} {status.Provenance[key]}").ToList();
        if (made.Count > 0)
        {
            stdout.WriteLine($"made with: {string.Join(", ", made)}");
        }
    }

    private static string Ago(TimeSpan elapsed) => elapsed.TotalMinutes < 1 ? $"{Math.Max(0, elapsed.TotalSeconds):F0} s"
        : elapsed.TotalHours < 1 ? $"{elapsed.TotalMinutes:F0} min"
        : elapsed.TotalDays < 1 ? $"{elapsed.TotalHours:F1} h" : $"{elapsed.TotalDays:F1} days";
}
