using System.Runtime.InteropServices;
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_largest_window_size_on_a_20_row_table_allocates_for_20_rows(bool generatorWritesIntoTheProcessorsBlock)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 20);
        var generator = new HashEmbeddingGenerator { VectorLength = 384, WritesIntoDestination = generatorWritesIntoTheProcessorsBlock };
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, _folder.File("o.duckdb")) with { WindowSize = EmbeddingJob.MaxWindowSize },
            generator, NullLogger.Instance);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(20, summary.RowsWritten);
        Assert.Equal(1, generator.Calls);
        // A window sized by the setting (1,048,576 rows) would take over 32 MB of row arrays alone, and a block of
        // vectors for it 1.6 GB.
        Assert.InRange(allocated, 0, 16L << 20);
    }

    [Fact]
    public async Task A_run_allocates_no_array_per_vector_and_reuses_a_few_blocks_when_the_generator_writes_into_them()
    {
        // Rows of 384 floats, every other one repeating the text of an earlier window: the recent texts' copies are
        // exercised too. What a row costs is what 40,000 more rows allocate: the blocks and the recent texts' slots
        // are allocated once, whatever the rows.
        var input = _folder.File("repeats.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id BIGINT, body VARCHAR)",
            "INSERT INTO docs SELECT i, 'text ' || CASE WHEN i % 2 = 0 THEN i ELSE i % 3001 END FROM range(1, 80001) t(i)");
        var generator = new HashEmbeddingGenerator { VectorLength = 384, WritesIntoDestination = true };
        async Task<(long Bytes, EmbeddingRunSummary Summary)> RunAsync(string output, long rows)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 1_024, Writers = 1, MaxRows = rows },
                generator, NullLogger.Instance);
            return (GC.GetTotalAllocatedBytes(precise: true) - before, summary);
        }
        await RunAsync(_folder.File("warm-up.duckdb"), 2_000);

        var (fewer, _) = await RunAsync(_folder.File("fewer.duckdb"), 40_000);
        generator.Destinations.Clear();
        var output = _folder.File("o.duckdb");
        var (more, summary) = await RunAsync(output, 80_000);

        var perRow = (more - fewer) / 40_000.0;
        var blocks = generator.Destinations.Select(d => MemoryMarshal.TryGetArray<float>(d, out var s) ? s.Array : null).Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.Equal(80_000, summary.RowsWritten);
        Assert.True(summary.ReusedVectors >= 30_000, $"{summary.ReusedVectors} vectors reused");
        // A vector in an array of its own is 1,560 bytes a row; what is left is the texts, ids and the calls' lists.
        Assert.True(perRow < 600, $"{perRow:F0} bytes allocated per row; {generator.Destinations.Count} destinations in {blocks} blocks");
        Assert.Equal(79, generator.Destinations.Count);
        Assert.InRange(blocks, 1, 8);
        var stored = TestDatabase.Query(output, "SELECT id, body, vector FROM embedded");
        Assert.Equal(80_000, stored.Count);
        Assert.All(stored, row => Assert.Equal(HashEmbeddingGenerator.VectorOf((string)row[1]!, 384), ((List<float>)row[2]!).ToArray()));
    }
}
