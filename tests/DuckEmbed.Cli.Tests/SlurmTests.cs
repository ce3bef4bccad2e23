using System.Diagnostics;
using System.Text.RegularExpressions;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// A one-node Slurm cluster on this machine (tests/slurm/cluster.sh: Debian's slurm-wlm and munge, started if none
/// answers and stopped afterwards). Never skipped: without Slurm the tests fail with the reason.
/// </summary>
public sealed class SlurmCluster : IDisposable
{
    private readonly bool _started;

    public SlurmCluster()
    {
        var start = Shell.Run("bash", [Script, "start"], TimeSpan.FromMinutes(10));
        Assert.True(start.ExitCode == 0, $"Slurm could not be set up here:\n{start.Output}");
        _started = start.Output.Contains("cluster=started", StringComparison.Ordinal);
    }

    private static string Script => Path.Combine(TestPaths.RepositoryRoot, "tests", "slurm", "cluster.sh");

    public void Dispose()
    {
        if (_started)
        {
            Shell.Run("bash", [Script, "stop"], TimeSpan.FromMinutes(1));
        }
    }
}

[Trait("Needs", "Slurm")]
public sealed partial class SlurmTests(SlurmCluster cluster, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<SlurmCluster>, IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Deploy(string script) => Path.Combine(TestPaths.RepositoryRoot, "deploy", "slurm", script);

    private (int ExitCode, string Output) InFolder(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = _folder.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The node has no GPU to give; the job files ask for one.
        start.Environment["SBATCH_GRES"] = "none";
        start.Environment["EMBED"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "embed.dll")}";
        start.Environment["BATCH_SIZE"] = "32";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    private string State(string job) => InFolder("squeue", "-h", "-j", job, "-o", "%T").Output.Trim();

    private void WaitUntil(Func<bool> done, TimeSpan timeout, string what)
    {
        var timer = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(timer.Elapsed < timeout, $"{what} did not happen in {timeout}; queue: {InFolder("squeue").Output}");
            Thread.Sleep(500);
        }
    }

    [Fact]
    public void A_four_shard_array_with_one_task_cancelled_and_requeued_merges_into_the_same_table_as_one_run()
    {
        _ = cluster;
        File.Copy(Path.Combine(TestPaths.RepositoryRoot, "example", "input.duckdb"), _folder.File("input.duckdb"));
        File.WriteAllText(_folder.File("config.json"), """
            { "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "source_texts",
              "id_column": "document_id", "text_column": "content", "output_table": "embedded_texts", "batches_per_window": 2 }
            """);
        var timer = Stopwatch.StartNew();

        var submitted = InFolder("bash", Deploy("submit.sh"), "config.json", "4", "2");
        Assert.True(submitted.ExitCode == 0, submitted.Output);
        var ids = SubmitOutput().Match(submitted.Output);
        var (array, merge) = (ids.Groups[1].Value, ids.Groups[2].Value);

        // Cancel task 1 once it has committed a window, then run it again alone.
        var taskLog = _folder.File(Path.Combine("logs", $"duckembed-{array}_1.out"));
        WaitUntil(() => State($"{array}_1") == "RUNNING" && File.Exists(taskLog) && File.ReadAllText(taskLog).Contains("Processed ", StringComparison.Ordinal),
            TimeSpan.FromMinutes(3), "task 1 committing a window");
        Assert.Equal(0, InFolder("scancel", $"{array}_1").ExitCode);
        WaitUntil(() => State($"{array}_1") is "" or "CANCELLED", TimeSpan.FromMinutes(1), "task 1 cancelled");
        var requeued = InFolder("bash", Deploy("requeue.sh"), array, "1", merge, "4");
        Assert.True(requeued.ExitCode == 0, requeued.Output);
        WaitUntil(() => State(array) == "" && State(merge) == "", TimeSpan.FromMinutes(6), "the array and the merge finishing");
        log.WriteLine($"4 shards (2 at a time) with one cancelled and requeued, and the merge: {timer.Elapsed.TotalSeconds:F0} s");

        var merged = File.ReadAllText(_folder.File(Path.Combine("logs", $"duckembed-merge-{merge}.out")));
        Assert.True(merged.Contains("Merged 4 shards: 2,000 rows", StringComparison.Ordinal), merged);
        var rerun = File.ReadAllText(taskLog);
        Assert.True(rerun.Contains("Resuming: ", StringComparison.Ordinal), rerun);

        // One process, the same job, for comparison.
        File.WriteAllText(_folder.File("single.json"), File.ReadAllText(_folder.File("config.json")).Replace("output.duckdb", "single.duckdb", StringComparison.Ordinal));
        // 2,000 texts with the real model: ~40 s alone, but the suite runs other model tests beside it on 2 cores.
        var single = CliProcess.Run(_folder.File("single.json"), TimeSpan.FromMinutes(8), new Dictionary<string, string> { ["BATCH_SIZE"] = "32" });
        Assert.True(single.ExitCode == 0, single.Stderr);
        var one = Vectors(_folder.File("single.duckdb"));
        var sharded = Vectors(_folder.File("output.duckdb"));
        Assert.Equal(one.Keys.Order(), sharded.Keys.Order());
        Assert.True(sharded.Min(r => VectorMath.Cosine(r.Value, one[r.Key])) >= 0.9999);
    }

    private static Dictionary<long, float[]> Vectors(string database) => TestDatabase.VectorsById(database, "embedded_texts", "document_id");

    [GeneratedRegex(@"array=(\d+) merge=(\d+)")]
    private static partial Regex SubmitOutput();
}
