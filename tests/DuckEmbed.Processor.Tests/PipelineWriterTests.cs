using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Pipeline;
using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// The pipeline against the writer seam alone (<see cref="IWindowWriter"/>): writers that hold windows back as the
/// output's do, without DuckDB's output, so what the pipeline promises its writers is pinned down by itself.
/// </summary>
public sealed class PipelineWriterTests : IDisposable
{
    private const int Rows = 5_000;

    private readonly TempDirectory _folder = new();

    public PipelineWriterTests() => TestDatabase.Execute(Input, "CREATE TABLE texts (id INTEGER, text VARCHAR)",
        $"INSERT INTO texts SELECT i, 'text ' || i FROM range({Rows}) t(i)");

    public void Dispose() => _folder.Dispose();

    private string Input => _folder.File("input.duckdb");

    /// <summary>Holds every window back until it is told to commit; given <paramref name="failOnceTrue"/>, fails its first window once that holds.</summary>
    private sealed class HoldingWriter(Func<bool>? failOnceTrue = null) : IWindowWriter
    {
        private readonly List<string> _held = [];
        private int _windows;

        public List<string> Committed { get; } = [];

        public int Windows => Volatile.Read(ref _windows);

        public int Held => _held.Count;

        public TimeSpan? TimeToCommit => _held.Count == 0 ? null : TimeSpan.FromHours(1);

        public event Action<bool>? Committing;

        public WindowTally Add(RowWindow window)
        {
            if (failOnceTrue is not null)
            {
                Assert.True(SpinWait.SpinUntil(failOnceTrue, TimeSpan.FromSeconds(30)), "the condition to fail on never held");
                throw new InvalidOperationException("the disk is gone");
            }
            Interlocked.Increment(ref _windows);
            // A writer takes its time, as DuckDB's do, so that windows go to each writer.
            Thread.Sleep(10);
            _held.AddRange(window.Texts[..window.Count].Select(t => t!));
            Assert.All(window.Vectors[..window.Count], v => Assert.Equal(HashEmbeddingGenerator.Dimensions, v!.Value.Length));
            return default;
        }

        public WindowTally Commit()
        {
            Committing?.Invoke(true);
            Committed.AddRange(_held);
            var tally = new WindowTally(_held.Count, 0, 0, 0, 0, 0);
            _held.Clear();
            Committing?.Invoke(false);
            return tally;
        }
    }

    private async Task<RunCounters> RunAsync(IReadOnlyList<IWindowWriter> writers)
    {
        var job = new EmbeddingJob
        {
            InputDatabasePath = Input, OutputDatabasePath = _folder.File("unused.duckdb"), InputTable = "texts",
            IdColumn = "id", TextColumn = "text", OutputTable = "embedded",
        };
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using (var attach = connection.CreateCommand())
        {
            attach.CommandText = $"ATTACH '{Input}' AS {JobDatabase.InputCatalog} (READ_ONLY)";
            attach.ExecuteNonQuery();
        }
        var generator = new HashEmbeddingGenerator();
        var vectors = VectorCheck.For(job, generator);
        var counters = new RunCounters(0, Rows, Rows, vectors);
        var pipeline = new EmbeddingPipeline(generator, counters, vectors, new SimpleTimer()) { Logger = NullLogger.Instance, GeneratorCalls = 2 };
        await pipeline.RunAsync(new InputRowReader.Source(connection, InputTable.Inspect(connection, job), null, 256, false, null), writers, CancellationToken.None);
        return counters;
    }

    [Fact]
    public async Task Every_row_reaches_exactly_one_writer_and_what_a_writer_holds_back_is_committed_at_the_end()
    {
        HoldingWriter[] writers = [new(), new()];

        var counters = await RunAsync(writers);

        var committed = writers.SelectMany(w => w.Committed).ToList();
        Assert.Equal(Rows, committed.Count);
        Assert.Equal(Enumerable.Range(0, Rows).Select(i => $"text {i}").Order(), committed.Order());
        Assert.Equal(Rows, counters.Summary(TimeSpan.FromSeconds(1)).RowsWritten);
    }

    [Fact]
    public async Task A_writer_that_fails_stops_the_run_with_its_error_and_the_other_commits_what_it_holds()
    {
        var healthy = new HoldingWriter();
        // Fails once the healthy writer holds a window, so that there is something held back to commit.
        var broken = new HoldingWriter(() => healthy.Windows > 0);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync([healthy, broken]));

        Assert.Equal("the disk is gone", error.Message);
        Assert.NotEmpty(healthy.Committed);
        Assert.Equal(0, healthy.Held);
        Assert.True(healthy.Committed.Count < Rows, "the run went on after a writer failed");
    }
}
