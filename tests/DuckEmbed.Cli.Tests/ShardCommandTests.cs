using DuckEmbed.Processor;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Cli.Tests;

/// <summary><c>embed status</c> as a person runs it: a single run, or shards that are running, done or misplaced.</summary>
public sealed class ShardCommandTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => _folder.File("out.duckdb");

    private async Task<string> ShardsAsync(int made, int count)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        for (var i = 0; i < made; i++)
        {
            var shard = new ShardSelection(i, count);
            await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, shard.PathFor(Output)) with { Shard = shard }, new HashEmbeddingGenerator(), NullLogger.Instance);
        }
        var config = _folder.File("config.json");
        File.WriteAllText(config, """
            { "input_db_path": "input.duckdb", "output_db_path": "out.duckdb", "input_table": "docs",
              "id_column": "id", "text_column": "body", "output_table": "embedded" }
            """);
        return config;
    }

    [Fact]
    public async Task Status_reports_a_shard_another_process_is_writing_as_running_and_the_others_as_they_are()
    {
        var config = await ShardsAsync(made: 2, count: 3);
        // What a running shard does to its file: holds it open for writing, so that nobody else can open it.
        using var running = new DuckDB.NET.Data.DuckDBConnection($"Data Source={new ShardSelection(1, 3).PathFor(Output)}");
        running.Open();

        var (exitCode, stdout, stderr) = CliProcess.RunCommand(config, "status", "--shards", "3");

        Assert.True(exitCode == 0, stderr);
        var lines = stdout.Split('\n');
        Assert.Contains(lines, line => line.StartsWith("shard   0:", StringComparison.Ordinal) && line.Contains(" done ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("shard   1:", StringComparison.Ordinal) && line.Contains("running (the file is open for writing)", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("shard   2:", StringComparison.Ordinal) && line.Contains("not started", StringComparison.Ordinal));
        Assert.Contains("1 of 3 shards done", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_names_shard_files_swapped_by_hand_and_merge_refuses_them()
    {
        var config = await ShardsAsync(made: 2, count: 2);
        var (first, second) = (new ShardSelection(0, 2).PathFor(Output), new ShardSelection(1, 2).PathFor(Output));
        File.Move(first, first + ".x");
        File.Move(second, first);
        File.Move(first + ".x", second);

        var (exitCode, stdout, stderr) = CliProcess.RunCommand(config, "status", "--shards", "2");
        var (mergeExit, _, mergeError) = CliProcess.RunCommand(config, "merge", "--shards", "2");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("wrong file: holds", stdout, StringComparison.Ordinal);
        Assert.Contains("rows of other shards", stdout, StringComparison.Ordinal);
        Assert.Contains("0 of 2 shards done", stdout, StringComparison.Ordinal);
        Assert.Equal(1, mergeExit);
        Assert.Contains("holds", mergeError, StringComparison.Ordinal);
        Assert.False(File.Exists(Output));
    }

    [Fact]
    public async Task Status_without_shards_says_rows_done_and_left_or_that_a_run_holds_the_output()
    {
        var config = await ShardsAsync(made: 0, count: 1);
        Assert.StartsWith($"not started: {Output} does not exist; 300 rows to embed.", CliProcess.RunCommand(config, "status").Stdout, StringComparison.Ordinal);
        var input = _folder.File("input.duckdb");
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, Output), windowSize: 32, stopAtCall: 4);
        var done = TestDatabase.CountRows(Output, "embedded");

        var (exitCode, stdout, stderr) = CliProcess.RunCommand(config, "status");

        Assert.True(exitCode == 0, stderr);
        Assert.StartsWith($"embedded in {Output}: {done:N0} of 300 rows", stdout, StringComparison.Ordinal);
        Assert.Contains($"{300 - done:N0} left — run the same command to go on; last written ", stdout, StringComparison.Ordinal);
        using (var running = new DuckDB.NET.Data.DuckDBConnection($"Data Source={Output}"))
        {
            running.Open();
            Assert.StartsWith($"running: another process has {Output} open for writing", CliProcess.RunCommand(config, "status").Stdout, StringComparison.Ordinal);
        }
    }
}
