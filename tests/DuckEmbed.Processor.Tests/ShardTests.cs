using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>A job split into shards (one file each) and merged: the same table as one run, every row exactly once.</summary>
public sealed class ShardTests : IDisposable
{
    private const int Rows = 400;
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => _folder.File("out.duckdb");

    private Task<EmbeddingRunSummary> RunShard(string input, int index, int count) =>
        EmbeddingProcessor.ProcessAsync(Shard(input, index, count) with { WindowSize = 64 }, new HashEmbeddingGenerator(), NullLogger.Instance);

    private EmbeddingJob Shard(string input, int index, int count)
    {
        var shard = new ShardSelection(index, count);
        return TestDatabase.Job(input, shard.PathFor(Output)) with { Shard = shard };
    }

    [Fact]
    public void The_shard_of_an_id_is_the_first_8_bytes_of_its_md5_little_endian_mod_the_count_as_documented()
    {
        // MD5 spreads ids over shards; nothing here depends on it being secure.
#pragma warning disable CA5351
        var ids = new[] { "1", "42", "doc-7", "é", "" };
        var expected = ids.Select(id => (long)(BinaryPrimitives.ReadUInt64LittleEndian(MD5.HashData(Encoding.UTF8.GetBytes(id))) % 7)).ToList();
#pragma warning restore CA5351
        var values = string.Join(", ", ids.Select(id => $"('{id}')"));
        var fromDuckDb = TestDatabase.Query(_folder.File("x.duckdb"), $"SELECT md5_number_upper(v::VARCHAR) % 7 FROM (VALUES {values}) t(v)", create: true)
            .Select(r => Convert.ToInt64(r[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(expected, fromDuckDb);
    }

    [Fact]
    public async Task Four_shards_cover_every_row_once_and_merge_into_the_same_table_as_one_run()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        var written = 0L;
        for (var i = 0; i < 4; i++)
        {
            written += (await RunShard(input, i, 4)).RowsWritten;
        }
        Assert.Equal(Rows, written);
        Assert.All(Enumerable.Range(0, 4), i => Assert.InRange(TestDatabase.CountRows(new ShardSelection(i, 4).PathFor(Output), "embedded"), 50, 150));

        var merged = ShardMerger.Merge(TestDatabase.Job(input, Output), 4, NullLogger.Instance);

        Assert.Equal(Rows, merged);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, Output, Rows);
        Assert.Equal("4", TestDatabase.Query(new ShardSelection(0, 4).PathFor(Output), "SELECT value FROM duckembed_metadata WHERE key = 'shard_count'")[0][0]);
        Assert.Empty(TestDatabase.Query(Output, "SELECT value FROM duckembed_metadata WHERE key LIKE 'shard%'"));
    }

    [Fact]
    public async Task A_merge_run_again_after_it_finished_or_stopped_writes_nothing_twice()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        for (var i = 0; i < 3; i++)
        {
            await RunShard(input, i, 3);
        }
        // A merge stopped after its first shard: the first shard's rows are in, the others not yet.
        ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance);
        TestDatabase.Execute(Output, "DELETE FROM embedded WHERE md5_number_upper(id::VARCHAR) % 3 <> 0");

        Assert.Equal(Rows, ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance));
        Assert.Equal(Rows, ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance));
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, Output, Rows);
    }

    [Fact]
    public async Task A_merge_names_missing_and_incomplete_shards_and_writes_nothing()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        await RunShard(input, 0, 3);
        await ProcessorRuns.RunCancelledAtCallAsync(Shard(input, 1, 3), windowSize: 64, stopAtCall: 2);

        var missing = Assert.Throws<EmbeddingJobException>(() => ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance));
        Assert.Contains($"1 of 3 shard files are missing: {new ShardSelection(2, 3).PathFor(Output)}", missing.Message, StringComparison.Ordinal);

        await RunShard(input, 2, 3);
        var incomplete = Assert.Throws<EmbeddingJobException>(() => ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance));
        Assert.Matches(@"shard 1 \(.*\) has [\d,]+ of its [\d,]+ rows", incomplete.Message);
        Assert.False(File.Exists(Output));
    }

    private async Task<string> ThreeShardsAsync()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        for (var i = 0; i < 3; i++)
        {
            await RunShard(input, i, 3);
        }
        return input;
    }

    [Fact]
    public async Task A_merge_into_an_output_holding_rows_of_another_input_writes_nothing_and_overwrite_replaces_it()
    {
        var input = await ThreeShardsAsync();
        ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance);
        TestDatabase.Execute(Output, "DELETE FROM embedded WHERE id % 2 = 0", "INSERT INTO embedded SELECT id + 100000, body, vector FROM embedded WHERE id < 50");
        var before = TestDatabase.CountRows(Output, "embedded");

        var error = Assert.Throws<EmbeddingJobException>(() => ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance));

        Assert.Equal(JobSetting.OutputTable, error.Setting);
        Assert.True(error.CanOverwrite);
        Assert.Equal("'embedded' already holds 25 rows whose ids are not in the input. Nothing was merged; if the shards were synced with the changed input, merge them with sync.", error.Message);
        Assert.Equal(before, TestDatabase.CountRows(Output, "embedded"));
        Assert.Equal(Rows, ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance, overwrite: true));
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, Output, Rows);
    }

    [Fact]
    public async Task A_shard_whose_rows_are_no_longer_the_input_s_is_refused_before_anything_is_written()
    {
        var input = await ThreeShardsAsync();
        TestDatabase.Execute(input, "UPDATE docs SET body = 'edited' WHERE id IN (1, 2, 3, 4, 5, 6)", "DELETE FROM docs WHERE id IN (7, 8, 9)");

        var error = Assert.Throws<EmbeddingJobException>(() => ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance));

        Assert.Contains("whose texts are not the input's (the input changed since)", error.Message, StringComparison.Ordinal);
        Assert.Contains("whose ids are not in the input", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Output));
    }

    [Fact]
    public async Task A_merge_whose_vector_type_is_not_the_shards_is_refused()
    {
        var input = await ThreeShardsAsync();

        var error = Assert.Throws<EmbeddingJobException>(() => ShardMerger.Merge(TestDatabase.Job(input, Output) with { VectorType = VectorColumnType.List }, 3, NullLogger.Instance));

        Assert.Contains("has array (FLOAT[N]) vectors, but vector_type is list (FLOAT[])", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Output));
    }

    [Fact]
    public async Task A_merge_stopped_after_its_first_shard_leaves_the_output_as_it_was()
    {
        var input = await ThreeShardsAsync();
        using var stop = new CancellationTokenSource();
        var logger = new StopAtFirstShard(stop);

        Assert.ThrowsAny<OperationCanceledException>(() => ShardMerger.Merge(TestDatabase.Job(input, Output), 3, logger, cancellationToken: stop.Token));

        Assert.True(logger.Stopped);
        Assert.Empty(TestDatabase.Query(Output, "SELECT table_name FROM duckdb_tables() WHERE table_name = 'embedded'"));
        Assert.Equal(Rows, ShardMerger.Merge(TestDatabase.Job(input, Output), 3, NullLogger.Instance));
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, Output, Rows);
    }

    /// <summary>Cancels the merge when it says it merged its first shard.</summary>
    private sealed class StopAtFirstShard(CancellationTokenSource stop) : Microsoft.Extensions.Logging.ILogger
    {
        public bool Stopped => stop.IsCancellationRequested;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).StartsWith("Merged shard 0", StringComparison.Ordinal))
            {
                stop.Cancel();
            }
        }
    }

    [Fact]
    public async Task A_shard_file_is_not_resumed_as_a_shard_of_another_count()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        var job = Shard(input, 0, 2);
        await EmbeddingProcessor.ProcessAsync(job with { WindowSize = 64 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(job with { Shard = new ShardSelection(0, 3), WindowSize = 64 }, new HashEmbeddingGenerator(), NullLogger.Instance));

        Assert.Contains("shard_count: 2 then, 3 now", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4, 4)]
    [InlineData(-1, 4)]
    [InlineData(0, 0)]
    public async Task A_shard_outside_the_count_is_refused(int index, int count)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output) with { Shard = new ShardSelection(index, count), WindowSize = 64 }, new HashEmbeddingGenerator(), NullLogger.Instance));
        Assert.StartsWith($"Shard: Shard {index} of {count}: the shard index must be from 0", error.Described(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_of_a_run_without_shards_says_rows_done_and_left_and_what_made_them()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        var job = TestDatabase.Job(input, Output) with { GeneratorSettings = new Dictionary<string, string> { ["precision"] = "fp32" } };
        Assert.Equal((Rows, 0L, false), (RunStatus.Of(job).InputRows, RunStatus.Of(job).RowsDone, RunStatus.Of(job).OutputExists));

        await ProcessorRuns.RunCancelledAtCallAsync(job, windowSize: 64, stopAtCall: 3);
        var status = RunStatus.Of(job);

        Assert.Equal(TestDatabase.CountRows(Output, "embedded"), status.RowsDone);
        Assert.InRange(status.RowsDone, 1, Rows - 1);
        Assert.Equal(Rows - status.RowsDone, status.RowsLeft);
        Assert.Equal("fp32", status.Provenance["precision"]);
        Assert.InRange(status.LastWrittenUtc!.Value, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        Assert.False(status.Running);
    }

    [Fact]
    public async Task Status_says_rows_done_per_shard_against_its_rows_in_the_input()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        await RunShard(input, 0, 3);
        await ProcessorRuns.RunCancelledAtCallAsync(Shard(input, 1, 3), windowSize: 64, stopAtCall: 2);

        var status = ShardMerger.Status(TestDatabase.Job(input, Output), 3);

        Assert.Equal(Rows, status.Sum(s => s.RowsExpected));
        Assert.True(status[0].Complete);
        Assert.Equal(TestDatabase.CountRows(new ShardSelection(1, 3).PathFor(Output), "embedded"), status[1].RowsDone);
        Assert.False(status[1].Complete);
        Assert.False(status[2].Exists);
        Assert.Equal(0, status[2].RowsDone);
    }
}
