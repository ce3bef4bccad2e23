using DuckEmbed.Processor.Output;
using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// int8 and binary outputs: codes as sentence-transformers' <c>quantize_embeddings</c> defines them, one set of int8
/// ranges per table through resume, shards and merge, one precision per table, search and verify on each.
/// </summary>
public sealed class VectorPrecisionTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => _folder.File("out.duckdb");

    [Fact]
    public void Int8_codes_follow_sentence_transformers_definition_on_the_reference_rows()
    {
        // Its calibration: each dimension's min and max over the calibration embeddings, here the reference rows.
        var rows = ReferenceRow.All.Select(r => r.Embedding).ToList();
        var dimensions = rows[0].Length;
        var minimum = Enumerable.Range(0, dimensions).Select(d => rows.Min(r => r[d])).ToArray();
        var maximum = Enumerable.Range(0, dimensions).Select(d => rows.Max(r => r[d])).ToArray();
        var ranges = Int8Ranges.Of(minimum, maximum);

        var (equal, onABoundary, total) = (0, 0, 0);
        foreach (var row in rows)
        {
            var codes = ranges.Quantize(row);
            for (var d = 0; d < dimensions; d++)
            {
                // ((embeddings - starts) / steps - 128).astype(np.int8), steps = (max - min) / 255, in doubles here.
                var scaled = (row[d] - (double)minimum[d]) / ((maximum[d] - (double)minimum[d]) / 255) - 128;
                total++;
                if (codes[d] == (sbyte)Math.Truncate(scaled))
                {
                    equal++;
                }
                else
                {
                    // float32 arithmetic may land an integer a few ulps below or above where doubles do.
                    Assert.True(Math.Abs(scaled - Math.Round(scaled)) < 1e-3, $"row {row}, dimension {d}: {codes[d]} for {scaled}");
                    onABoundary++;
                }
            }
        }
        Assert.True(onABoundary < total / 1000, $"{onABoundary} of {total} codes differ on a boundary");
        // The calibration set's own extremes are the ends of the scale.
        Assert.Contains(rows, r => ranges.Quantize(r).Contains((sbyte)-128));
        Assert.Contains(rows, r => ranges.Quantize(r).Contains((sbyte)127));
    }

    [Fact]
    public void Int8_clamps_values_outside_the_calibrated_range_instead_of_wrapping()
    {
        var ranges = Int8Ranges.Of([-1f, -1f, -1f], [1f, 1f, 1f]);

        Assert.Equal([(sbyte)-128, (sbyte)127, (sbyte)0], ranges.Quantize([-5f, 5f, 0.003f]));
    }

    [Fact]
    public void Binary_bits_are_numpy_packbits_of_the_positive_values_on_the_reference_rows()
    {
        foreach (var row in ReferenceRow.All.Take(50))
        {
            var v = row.Embedding;
            // np.packbits(embeddings > 0): byte j holds dimensions 8j…8j+7, the first in its highest bit.
            var expected = new byte[(v.Length + 7) / 8];
            for (var d = 0; d < v.Length; d++)
            {
                if (v[d] > 0)
                {
                    expected[d / 8] |= (byte)(0x80 >> (d % 8));
                }
            }
            Assert.Equal(expected, VectorEncoding.ToUbinary(VectorEncoding.PackSigns(v), v.Length));
        }
    }

    [Fact]
    public void Calibrated_ranges_hold_the_sample_round_outward_and_read_back_exactly_from_the_record()
    {
        var vectors = ReferenceRow.All.Select(r => (ReadOnlyMemory<float>)r.Embedding).ToList();

        var ranges = Int8Ranges.Calibrate(vectors);
        var record = new Dictionary<string, string>();
        ranges.WriteTo(record);
        var read = Int8Ranges.ReadFrom(record)!;

        for (var d = 0; d < ranges.Dimensions; d++)
        {
            Assert.True(vectors.All(v => v.Span[d] >= ranges.Minimum[d] && v.Span[d] <= ranges.Maximum[d]));
            Assert.Equal(0, ranges.Minimum[d] * 1024 % 1);
            Assert.Equal(0, ranges.Maximum[d] * 1024 % 1);
        }
        Assert.Equal(ranges.Minimum.ToArray(), read.Minimum.ToArray());
        Assert.Equal(ranges.Maximum, read.Maximum);
        Assert.Null(Int8Ranges.ReadFrom(new Dictionary<string, string> { [Int8Ranges.MinimumKey] = "0,1", [Int8Ranges.MaximumKey] = "1,x" }));
    }

    [Fact]
    public async Task An_int8_output_keeps_the_ranges_it_calibrated_across_a_resume_and_codes_every_row_with_them()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        var job = TestDatabase.Job(input, Output) with { VectorPrecision = VectorPrecision.Int8 };
        var first = new HashEmbeddingGenerator();

        await EmbeddingProcessor.ProcessAsync(job with { MaxRows = 100 }, first, NullLogger.Instance);
        var rangesThen = Record().Where(kv => kv.Key.StartsWith("int8_range", StringComparison.Ordinal)).ToList();
        var second = new HashEmbeddingGenerator();
        var summary = await EmbeddingProcessor.ProcessAsync(job, second, NullLogger.Instance);

        // The first run embedded the whole input as its sample (300 < 1,000 rows) and its 100 rows; the resume, only its rows.
        Assert.Equal(300 + 100, first.Texts);
        Assert.Equal(200, second.Texts);
        Assert.Equal(200, summary.RowsWritten);
        Assert.Equal(2, rangesThen.Count);
        Assert.Equal(rangesThen, Record().Where(kv => kv.Key.StartsWith("int8_range", StringComparison.Ordinal)).ToList());
        Assert.Equal("int8", Record()["vector_precision"]);
        AssertCodes(input, Output, 300, VectorPrecision.Int8);
    }

    [Fact]
    public async Task A_binary_output_holds_the_sign_bits_of_every_vector_in_words_duckdb_counts()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 200);

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output) with { VectorPrecision = VectorPrecision.Binary },
            new HashEmbeddingGenerator { VectorLength = 100 }, NullLogger.Instance);

        Assert.Equal("UBIGINT[2]", TestDatabase.Query(Output, "SELECT data_type FROM information_schema.columns WHERE column_name = 'vector'").Single()[0]);
        AssertCodes(input, Output, 200, VectorPrecision.Binary, vectorLength: 100);
        // A row is 0 bits from itself and DuckDB counts the bits two rows differ in.
        var distances = TestDatabase.Query(Output,
            $"SELECT {VectorEncoding.HammingDistance("a.vector", [0UL, 0UL])}, {VectorEncoding.HammingDistance("a.vector", [ulong.MaxValue, ulong.MaxValue])} FROM embedded a");
        Assert.All(distances, d => Assert.Equal(128, Convert.ToInt32(d[0], System.Globalization.CultureInfo.InvariantCulture) + Convert.ToInt32(d[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData(VectorPrecision.Float32, VectorPrecision.Int8)]
    [InlineData(VectorPrecision.Int8, VectorPrecision.Binary)]
    [InlineData(VectorPrecision.Binary, VectorPrecision.Float32)]
    [InlineData(VectorPrecision.BinaryInt8, VectorPrecision.Binary)]
    public async Task Resuming_a_table_with_another_precision_is_refused_and_leaves_it_as_it_was(VectorPrecision then, VectorPrecision now)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 100);
        var job = TestDatabase.Job(input, Output);
        await EmbeddingProcessor.ProcessAsync(job with { VectorPrecision = then, MaxRows = 40 }, new HashEmbeddingGenerator(), NullLogger.Instance);
        var generator = new HashEmbeddingGenerator();

        var refused = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(job with { VectorPrecision = now }, generator, NullLogger.Instance));

        Assert.Equal(JobSetting.VectorPrecision, refused.Setting);
        Assert.Contains($"'embedded' holds {VectorEncoding.Name(then)} vectors and this run would write {VectorEncoding.Name(now)} ones: one table holds one precision", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, generator.Texts);
        Assert.Equal(40, TestDatabase.CountRows(Output, "embedded"));
    }

    [Fact]
    public async Task Shards_of_an_int8_output_calibrate_the_same_ranges_and_merge_and_shards_with_other_ranges_do_not()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 400);
        var job = TestDatabase.Job(input, Output) with { VectorPrecision = VectorPrecision.Int8 };
        for (var i = 0; i < 3; i++)
        {
            var shard = new ShardSelection(i, 3);
            await EmbeddingProcessor.ProcessAsync(job with { Shard = shard, OutputDatabasePath = shard.PathFor(Output) }, new HashEmbeddingGenerator(), NullLogger.Instance);
        }

        Assert.Equal(400, ShardMerger.Merge(job, 3, NullLogger.Instance));
        AssertCodes(input, Output, 400, VectorPrecision.Int8);

        // A shard whose ranges differ (calibrated on another input, say) cannot be merged with the others.
        TestDatabase.Execute(new ShardSelection(1, 3).PathFor(Output),
            $"UPDATE duckembed_metadata SET value = replace(value, '0', '1') WHERE key = '{Int8Ranges.MaximumKey}'");
        var refused = Assert.Throws<EmbeddingJobException>(() => ShardMerger.Merge(job, 3, NullLogger.Instance, overwrite: true));
        Assert.Contains("shard 1 was made otherwise than shard 0 (int8_range_max:", refused.Message, StringComparison.Ordinal);
        // And shards of one precision do not merge into a table of another.
        var binary = Assert.Throws<EmbeddingJobException>(() =>
            ShardMerger.Merge(job with { VectorPrecision = VectorPrecision.Binary }, 3, NullLogger.Instance, overwrite: true));
        Assert.Contains("shard 0 (", binary.Message, StringComparison.Ordinal);
        Assert.Contains("holds int8 vectors, but vector_precision is binary", binary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binary_int8_output_keeps_bits_and_int8_codes_side_by_side_with_one_set_of_ranges_through_a_resume()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        var job = TestDatabase.Job(input, Output) with { VectorPrecision = VectorPrecision.BinaryInt8 };

        await EmbeddingProcessor.ProcessAsync(job with { MaxRows = 120 }, new HashEmbeddingGenerator { VectorLength = 70 }, NullLogger.Instance);
        var second = new HashEmbeddingGenerator { VectorLength = 70 };
        await EmbeddingProcessor.ProcessAsync(job, second, NullLogger.Instance);

        Assert.Equal(180, second.Texts);
        Assert.Equal(["UBIGINT[2]", "TINYINT[70]"], TestDatabase.Query(Output,
            "SELECT data_type FROM information_schema.columns WHERE column_name LIKE 'vector%' ORDER BY ordinal_position").Select(r => (string)r[0]!));
        AssertCodes(input, Output, 300, VectorPrecision.BinaryInt8, vectorLength: 70);
    }

    [Theory]
    [InlineData(VectorPrecision.Int8)]
    [InlineData(VectorPrecision.Binary)]
    [InlineData(VectorPrecision.BinaryInt8)]
    public async Task Search_finds_a_rows_own_text_first_and_verify_passes_until_a_code_is_changed(VectorPrecision precision)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        var job = TestDatabase.Job(input, Output) with { VectorPrecision = precision };
        var generator = new HashEmbeddingGenerator { VectorLength = 64 };
        await EmbeddingProcessor.ProcessAsync(job, generator, NullLogger.Instance);

        var text = (string)TestDatabase.Query(input, "SELECT body FROM docs WHERE id = 123").Single()[0]!;
        var hits = await EmbeddingSearch.SearchAsync(job, generator, text, count: 3);
        Assert.Equal("123", hits[0].Id);
        Assert.True(hits[0].Score > hits[1].Score);

        var passed = await EmbeddingVerifier.VerifyAsync(job, generator, sampleRows: 300);
        Assert.True(passed.Passed, string.Join("; ", passed.Problems));
        Assert.Equal(precision, passed.Precision);
        Assert.Equal(300, passed.SampledRows);

        // One row's vector changed by hand: its codes are no longer what its text embeds to.
        TestDatabase.Execute(Output, precision == VectorPrecision.Int8
            ? "UPDATE embedded SET vector = list_transform(vector, x -> CASE WHEN x < 0 THEN 100 ELSE -100 END)::TINYINT[64] WHERE id = 7"
            : "UPDATE embedded SET vector = [~vector[1]]::UBIGINT[1] WHERE id = 7");
        // binary+int8: the bits changed, the codes beside them not: still found.
        var failed = await EmbeddingVerifier.VerifyAsync(job, generator, sampleRows: 300);
        Assert.Contains($"1 of 300 sampled rows embed again to other {VectorEncoding.Name(precision)} codes than the stored ones", failed.Problems);
    }

    [Fact]
    public async Task A_binary_search_ranks_its_candidates_by_their_texts_embedded_again_a_window_at_a_time_exactly_as_a_float32_search_ranks_them()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 2_500);
        var generator = new HashEmbeddingGenerator { VectorLength = 64 };
        var floats = TestDatabase.Job(input, _folder.File("float32.duckdb")) with { WindowSize = 512 };
        var binary = TestDatabase.Job(input, Output) with { VectorPrecision = VectorPrecision.Binary, WindowSize = 512 };
        await EmbeddingProcessor.ProcessAsync(floats, generator, NullLogger.Instance);
        await EmbeddingProcessor.ProcessAsync(binary, generator, NullLogger.Instance);
        var query = (string)TestDatabase.Query(input, "SELECT body FROM docs WHERE id = 42").Single()[0]! + " and more";

        var exact = await EmbeddingSearch.SearchAsync(floats, generator, query, count: 8);
        var (callsBefore, textsBefore) = (generator.Calls, generator.Texts);
        // 8 × 400 candidates: every row, so the bits choose nothing and the ranking is the rescoring's alone.
        var rescored = await EmbeddingSearch.SearchAsync(binary, generator, query, count: 8, rescoreMultiplier: 400);

        Assert.Equal(exact.Select(h => h.Id), rescored.Select(h => h.Id));
        Assert.Equal(exact.Select(h => h.Score), rescored.Select(h => h.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(exact.Select(h => h.Text), rescored.Select(h => h.Text));
        // The query, then the 2,500 candidates in windows of at most 1,024 texts: memory does not grow with k × multiplier.
        Assert.Equal(1 + 2_500, generator.Texts - textsBefore);
        Assert.Equal(1 + 3, generator.Calls - callsBefore);
    }

    [Theory]
    [InlineData(VectorPrecision.Int8)]
    [InlineData(VectorPrecision.Binary)]
    [InlineData(VectorPrecision.BinaryInt8)]
    public async Task A_null_text_is_written_with_null_in_every_vector_column_and_search_and_verify_pass_over_it(VectorPrecision precision)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 50);
        TestDatabase.Execute(input, "UPDATE docs SET body = NULL WHERE id IN (5, 17)");
        var job = TestDatabase.Job(input, Output) with { VectorPrecision = precision };
        var generator = new HashEmbeddingGenerator { VectorLength = 64 };

        var summary = await EmbeddingProcessor.ProcessAsync(job, generator, NullLogger.Instance);

        Assert.Equal(50, summary.RowsWritten);
        var nullColumns = precision == VectorPrecision.BinaryInt8 ? "vector IS NULL AND vector_int8 IS NULL" : "vector IS NULL";
        Assert.Equal([5L, 17L], TestDatabase.Query(Output, $"SELECT id FROM embedded WHERE {nullColumns} ORDER BY id").Select(r => Convert.ToInt64(r[0], System.Globalization.CultureInfo.InvariantCulture)));
        var text = (string)TestDatabase.Query(input, "SELECT body FROM docs WHERE id = 23").Single()[0]!;
        Assert.Equal("23", (await EmbeddingSearch.SearchAsync(job, generator, text, count: 3))[0].Id);
        var report = await EmbeddingVerifier.VerifyAsync(job, generator, sampleRows: 50);
        Assert.True(report.Passed, string.Join("; ", report.Problems));
    }

    [Theory]
    [InlineData(VectorPrecision.Int8)]
    [InlineData(VectorPrecision.Binary)]
    public async Task A_quantized_precision_with_list_vectors_is_refused_before_the_output_exists(VectorPrecision precision)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 10);

        var refused = await Assert.ThrowsAsync<EmbeddingJobException>(() => EmbeddingProcessor.ProcessAsync(
            TestDatabase.Job(input, Output) with { VectorPrecision = precision, VectorType = VectorColumnType.List }, new HashEmbeddingGenerator(), NullLogger.Instance));

        Assert.Equal(JobSetting.VectorPrecision, refused.Setting);
        Assert.StartsWith($"{VectorEncoding.Name(precision)} vectors are stored as arrays; vector_type list is for float32 vectors.", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Output));
    }

    [Fact]
    public async Task Verify_of_an_int8_output_whose_ranges_are_gone_says_so()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 50);
        var job = TestDatabase.Job(input, Output) with { VectorPrecision = VectorPrecision.Int8 };
        await EmbeddingProcessor.ProcessAsync(job, new HashEmbeddingGenerator(), NullLogger.Instance);
        TestDatabase.Execute(Output, $"DELETE FROM duckembed_metadata WHERE key = '{Int8Ranges.MinimumKey}'");

        var report = await EmbeddingVerifier.VerifyAsync(job, new HashEmbeddingGenerator());

        Assert.Contains(report.Problems, p => p.Contains("int8 ranges (int8_range_min, int8_range_max) are missing or unreadable", StringComparison.Ordinal));
        var resumed = await Assert.ThrowsAsync<EmbeddingJobException>(() => EmbeddingProcessor.ProcessAsync(job, new HashEmbeddingGenerator(), NullLogger.Instance));
        Assert.Contains("ranges (int8_range_min, int8_range_max) are missing or damaged", resumed.Message, StringComparison.Ordinal);
    }

    private Dictionary<string, string> Record() =>
        TestDatabase.Query(Output, "SELECT key, value FROM duckembed_metadata WHERE output_table = 'embedded'").ToDictionary(r => (string)r[0]!, r => (string)r[1]!);

    // Every row once, its codes those of its text's vector under the table's own encoding.
    private void AssertCodes(string input, string output, int rows, VectorPrecision precision, int vectorLength = HashEmbeddingGenerator.Dimensions)
    {
        var encoding = VectorEncoding.Of(Record())!;
        Assert.Equal(precision, encoding.Precision);
        var texts = TestDatabase.Query(input, "SELECT id, body FROM docs").ToDictionary(r => (long)r[0]!, r => (string)r[1]!);
        var stored = TestDatabase.Query(output, precision switch
        {
            VectorPrecision.Int8 => "SELECT id, NULL, vector::BIGINT[] FROM embedded",
            VectorPrecision.Binary => "SELECT id, vector, NULL FROM embedded",
            _ => "SELECT id, vector, vector_int8::BIGINT[] FROM embedded",
        });
        Assert.Equal(rows, stored.Count);
        Assert.Equal(rows, stored.Select(r => r[0]).Distinct().Count());
        foreach (var row in stored)
        {
            var vector = HashEmbeddingGenerator.VectorOf(texts[(long)row[0]!], vectorLength);
            if (precision != VectorPrecision.Int8)
            {
                Assert.Equal(VectorEncoding.PackSigns(vector), (List<ulong>)row[1]!);
            }
            if (precision != VectorPrecision.Binary)
            {
                Assert.Equal(encoding.Ranges!.Quantize(vector).Select(c => (long)c), (List<long>)row[2]!);
            }
        }
    }
}
