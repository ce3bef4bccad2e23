using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

[CollectionDefinition(nameof(WindowMemoryTests), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>Memory follows the rows there are, not the settings: alone in its collection, so allocation counts are its own.</summary>
[Collection(nameof(WindowMemoryTests))]
public sealed class WindowMemoryTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_largest_window_size_on_a_20_row_table_allocates_for_20_rows()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 20);
        var generator = new HashEmbeddingGenerator();
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, _folder.File("o.duckdb")) with { WindowSize = EmbeddingJob.MaxWindowSize },
            generator, NullLogger.Instance);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(20, summary.RowsWritten);
        Assert.Equal(1, generator.Calls);
        // A window sized by the setting (1,048,576 rows) would take over 32 MB of row arrays alone.
        Assert.InRange(allocated, 0, 16L << 20);
    }
}
