using DuckEmbed.Tests;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>The vector column: FLOAT[N] by default (what DuckDB's vss index takes), FLOAT[] on request, either resumed.</summary>
public sealed class VectorColumnTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => _folder.File("out.duckdb");

    private static string VectorType(string output) =>
        (string)TestDatabase.Query(output, "SELECT data_type FROM information_schema.columns WHERE table_name = 'embedded' AND column_name = 'vector'")[0][0]!;

    [Theory]
    [InlineData(HashEmbeddingGenerator.Dimensions)]
    [InlineData(384)]
    public async Task Vectors_are_a_fixed_size_array_of_the_models_dimensions_with_nulls_in_place_past_one_chunk(int dimensions)
    {
        // 5,000 rows (over two DuckDB chunks of 2,048), every seventh text NULL: no vector may shift to another row.
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id INTEGER, body VARCHAR)",
            "INSERT INTO docs SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'text ' || i END FROM range(5000) t(i)");

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output) with { WindowSize = 512 }, new HashEmbeddingGenerator { VectorLength = dimensions }, NullLogger.Instance);

        Assert.Equal($"FLOAT[{dimensions}]", VectorType(Output));
        Assert.Equal(715, summary.NullTexts);
        foreach (var row in TestDatabase.Query(Output, "SELECT id, body, vector FROM embedded"))
        {
            if ((int)row[0]! % 7 == 0)
            {
                Assert.Null(row[2]);
            }
            else
            {
                Assert.Equal(HashEmbeddingGenerator.VectorOf((string)row[1]!, dimensions), ((System.Collections.IEnumerable)row[2]!).Cast<float>().ToArray());
            }
        }
    }

    [Fact]
    public async Task A_first_window_of_null_texts_from_a_generator_that_does_not_state_its_dimensions_makes_a_list_column_and_every_row_is_written()
    {
        // The table is made by the first window; with no vector in it the length is not known, and a list it is.
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id INTEGER, body VARCHAR)",
            "INSERT INTO docs SELECT i, CASE WHEN i < 10 THEN NULL ELSE 'text ' || i END FROM range(30) t(i)");

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output) with { WindowSize = 10 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal("FLOAT[]", VectorType(Output));
        Assert.Equal(30, summary.RowsWritten);
        Assert.Equal([30L, 10L], TestDatabase.Query(Output, "SELECT count(*), count(*) FILTER (WHERE vector IS NULL) FROM embedded")[0].Select(Convert.ToInt64));
        foreach (var row in TestDatabase.Query(Output, "SELECT body, vector FROM embedded WHERE body IS NOT NULL"))
        {
            Assert.Equal(HashEmbeddingGenerator.VectorOf((string)row[0]!), ((System.Collections.IEnumerable)row[1]!).Cast<float>().ToArray());
        }
    }

    [Fact]
    public async Task A_generator_that_states_its_dimensions_gets_its_array_type_before_the_first_vector()
    {
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id INTEGER, body VARCHAR)");

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output), new DescribedGenerator(), NullLogger.Instance);

        Assert.Equal($"FLOAT[{HashEmbeddingGenerator.Dimensions}]", VectorType(Output));
    }

    [Theory]
    [InlineData(VectorColumnType.List, VectorColumnType.Array, "FLOAT[]")]
    [InlineData(VectorColumnType.Array, VectorColumnType.List, "FLOAT[8]")]
    public async Task A_table_of_either_type_is_resumed_whatever_the_setting(VectorColumnType first, VectorColumnType then, string type)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, Output) with { VectorType = first }, windowSize: 40, stopAtCall: 3);

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output) with { VectorType = then, WindowSize = 40 },
            new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.InRange(summary.RowsAlreadyPresent, 1, 299);
        Assert.Equal(type, VectorType(Output));
        Assert.Equal(300L, TestDatabase.CountRows(Output, "embedded"));
    }

    [Fact]
    public async Task A_table_converted_by_the_user_to_float_n_is_resumed()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, Output) with { VectorType = VectorColumnType.List }, windowSize: 40, stopAtCall: 3);
        // What a user does to index a FLOAT[] output (ALTER keeps the list's storage choice, which arrays refuse).
        TestDatabase.Execute(Output, "CREATE TABLE converted AS SELECT id, body, vector::FLOAT[8] AS vector FROM embedded",
            "DROP TABLE embedded", "ALTER TABLE converted RENAME TO embedded");

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output) with { WindowSize = 40 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal("FLOAT[8]", VectorType(Output));
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, Output, 300);
    }

    [Fact]
    public async Task An_array_of_other_dimensions_than_the_model_is_refused()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 30);
        TestDatabase.Execute(Output, "CREATE TABLE embedded (id BIGINT, body VARCHAR, vector FLOAT[16])");

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output) with { WindowSize = 40 }, new DescribedGenerator(), NullLogger.Instance));

        Assert.Contains("vector FLOAT[16]), not (id BIGINT, body VARCHAR, vector FLOAT[8])", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The hash generator, saying its dimensions as a real model does.</summary>
    private sealed class DescribedGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly HashEmbeddingGenerator _inner = new();

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default) => _inner.GenerateAsync(values, options, cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType == typeof(EmbeddingGeneratorMetadata)
            ? new EmbeddingGeneratorMetadata("hash", defaultModelId: "hash", defaultModelDimensions: HashEmbeddingGenerator.Dimensions)
            : null;

        public void Dispose() => _inner.Dispose();
    }
}
