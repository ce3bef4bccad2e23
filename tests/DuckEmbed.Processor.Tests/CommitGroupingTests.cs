using DuckEmbed.Processor.Output;
using DuckEmbed.Tests;

namespace DuckEmbed.Processor.Tests;

public sealed class CommitGroupingTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(0, new long[] { 20, 20, 20, 20, 20 })]
    [InlineData(3600, new long[] { 100 })]
    public async Task A_writer_commits_its_windows_together_until_the_commit_interval_has_passed(int seconds, long[] commits)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 100);
        var output = _folder.File("out.duckdb");
        var logger = new RecordingLogger();

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with
        {
            WindowSize = 20, Writers = 1, CommitInterval = TimeSpan.FromSeconds(seconds),
        }, new HashEmbeddingGenerator(), logger);

        Assert.Equal(commits, logger.Lines.Where(l => l.StartsWith("Committed ", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(100, summary.RowsWritten);
        Assert.Equal(100, TestDatabase.CountRows(output, "embedded"));
    }

    [Fact]
    public async Task A_written_window_is_committed_when_due_while_the_next_one_is_still_being_embedded()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 40);
        var logger = new RecordingLogger();
        var committedDuringSecondCall = false;
        var generator = new HashEmbeddingGenerator
        {
            DuringCall = async (call, token) =>
            {
                if (call != 2)
                {
                    return;
                }
                // The model is slow on the second window; the first, written, waits no longer than the interval.
                for (var waited = 0; waited < 100 && !committedDuringSecondCall; waited++)
                {
                    await Task.Delay(50, token);
                    lock (logger.Lines)
                    {
                        committedDuringSecondCall = logger.Lines.Contains("Committed 20 rows");
                    }
                }
            },
        };

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, _folder.File("out.duckdb")) with
        {
            WindowSize = 20, Writers = 1, GeneratorCalls = 1, CommitInterval = TimeSpan.FromMilliseconds(200),
        }, generator, logger);

        Assert.True(committedDuringSecondCall, string.Join("\n", logger.Lines));
    }

    [Theory]
    [InlineData(OutputWriter.CommitRows / 4)]
    [InlineData(50_000)]
    public async Task A_writer_commits_each_row_group_as_it_fills_whatever_the_interval_splitting_a_window_at_its_end(int windowSize)
    {
        var rows = OutputWriter.CommitRows + 7000;
        var input = TestDatabase.CreateDocs(_folder.Path, rows);
        var output = _folder.File("out.duckdb");
        var logger = new RecordingLogger();

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with
        {
            WindowSize = windowSize, Writers = 1, CommitInterval = TimeSpan.FromHours(1),
        }, new HashEmbeddingGenerator(), logger);

        Assert.Equal([OutputWriter.CommitRows, 7000L], logger.Lines.Where(l => l.StartsWith("Committed ", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)));
        // A whole row group, then the rest: no partial row group in the middle of the file.
        var groups = TestDatabase.Query(output,
            "SELECT row_group_id, max(start + count) - min(start) FROM pragma_storage_info('embedded') WHERE column_name = 'id' GROUP BY ALL ORDER BY 1");
        Assert.Equal([(long)OutputWriter.CommitRows, 7000L], groups.Select(g => Convert.ToInt64(g[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Two_writers_commit_two_whole_row_groups_at_a_time_taking_windows_across_statements_and_write_every_row_once()
    {
        var rows = 2 * OutputWriter.CommitRows + 7000;
        var input = TestDatabase.CreateDocs(_folder.Path, rows);
        var output = _folder.File("out.duckdb");
        var logger = new RecordingLogger();

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with
        {
            WindowSize = 50_000, Writers = 2, CommitInterval = TimeSpan.FromHours(1),
        }, new HashEmbeddingGenerator(), logger);

        Assert.Equal([2L * OutputWriter.CommitRows, 7000L], logger.Lines.Where(l => l.StartsWith("Committed ", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)));
        // Each of DuckDB's two threads filled one whole row group; the last 7,000 rows are the only partial ones.
        var groups = TestDatabase.Query(output,
            "SELECT row_group_id, max(start + count) - min(start) FROM pragma_storage_info('embedded') WHERE column_name = 'id' GROUP BY ALL ORDER BY 1")
            .Select(g => Convert.ToInt64(g[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([(long)OutputWriter.CommitRows, OutputWriter.CommitRows], groups.Take(2));
        Assert.Equal(7000L, groups.Skip(2).Sum());
        Assert.InRange(groups.Count, 3, 4);
        Assert.Equal([(long)rows, rows, 0L], TestDatabase.Query(output,
            "SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE NOT starts_with(body, 'text number ' || id)) FROM embedded")[0].Select(Convert.ToInt64));
        foreach (var row in TestDatabase.Query(output, "SELECT body, vector FROM embedded USING SAMPLE 200 ROWS"))
        {
            Assert.Equal(HashEmbeddingGenerator.VectorOf((string)row[0]!), ((List<float>)row[1]!).ToArray());
        }
    }

    [Fact]
    public async Task A_generator_failing_after_windows_that_wait_for_their_commit_still_gets_them_committed()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 200);
        var output = _folder.File("out.duckdb");

        await Assert.ThrowsAsync<InvalidOperationException>(() => EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with
        {
            WindowSize = 20, Writers = 1, GeneratorCalls = 1, CommitInterval = TimeSpan.FromHours(1),
        }, new HashEmbeddingGenerator { BeforeCall = call => { if (call == 3) { throw new InvalidOperationException("model crashed"); } } },
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));

        Assert.Equal(40L, TestDatabase.CountRows(output, "embedded"));
    }
}
