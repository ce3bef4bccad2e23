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
    public async Task A_writer_commits_once_it_holds_a_row_group_whatever_the_interval()
    {
        var rows = OutputWriter.CommitRows + 1000;
        var input = TestDatabase.CreateDocs(_folder.Path, rows);
        var output = _folder.File("out.duckdb");
        var logger = new RecordingLogger();

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with
        {
            WindowSize = OutputWriter.CommitRows / 4, Writers = 1, CommitInterval = TimeSpan.FromHours(1),
        }, new HashEmbeddingGenerator(), logger);

        Assert.Equal([OutputWriter.CommitRows, 1000L], logger.Lines.Where(l => l.StartsWith("Committed ", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)));
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
