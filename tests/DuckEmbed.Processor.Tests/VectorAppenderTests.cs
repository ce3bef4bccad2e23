using DuckDB.NET.Data;
using DuckEmbed.Processor.Output;

namespace DuckEmbed.Processor.Tests;

/// <summary>Vectors reach DuckDB's appender from the generator's memory: the values unchanged, nothing allocated per row.</summary>
public sealed class VectorAppenderTests
{
    private const int Rows = 4096;
    private const int Dimensions = 384;

    // One block, as the generator returns a call's vectors: every row's vector is a slice of it.
    private static readonly float[] Block = MakeBlock();

    private static float[] MakeBlock()
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, Rows * Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    private static ReadOnlyMemory<float> Vector(int row) => Block.AsMemory(row * Dimensions, Dimensions);

    private static VectorEncoding Encoding(string precision) => precision switch
    {
        "float32" => VectorEncoding.Float32,
        "binary" => VectorEncoding.Binary,
        _ => VectorEncoding.Int8(Int8Ranges.Of(Enumerable.Repeat(-1f, Dimensions).ToArray(), Enumerable.Repeat(1f, Dimensions).ToArray())),
    };

    /// <summary>Appends every row with its vector (or NULL); returns the bytes this thread allocated while appending.</summary>
    private static long Append(DuckDBConnection connection, VectorEncoding encoding, bool withVectors)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"CREATE OR REPLACE TABLE t (id BIGINT, v {encoding.ColumnType(Dimensions, VectorColumnType.Array)})";
        command.ExecuteNonQuery();
        using var appender = connection.CreateAppender("t");
        var vectors = new VectorAppender(encoding);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Rows; i++)
        {
            var row = appender.CreateRow().AppendValue((long)i);
            if (withVectors)
            {
                vectors.Append(row, Vector(i));
            }
            else
            {
                row.AppendNullValue();
            }
            row.EndRow();
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("int8")]
    [InlineData("binary")]
    public void Appending_a_vector_allocates_nothing_per_row_beyond_what_a_null_vector_costs(string precision)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        var encoding = Encoding(precision);
        Append(connection, encoding, withVectors: true); // warmed up: the JIT and the buffers, once

        var withNulls = Append(connection, encoding, withVectors: false);
        var withVectors = Append(connection, encoding, withVectors: true);

        // A copy per row would be at least 48 bytes for the bits, 384 for the codes, 1,536 for the floats.
        Assert.True((withVectors - withNulls) / (double)Rows < 16,
            $"{precision}: {(withVectors - withNulls) / (double)Rows:F1} bytes a row more than with NULL vectors");
    }

    [Fact]
    public void Float_vectors_reach_the_table_exactly_as_the_generator_gave_them()
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        Append(connection, VectorEncoding.Float32, withVectors: true);

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, v FROM t ORDER BY id";
        using var reader = command.ExecuteReader();
        var rows = 0;
        while (reader.Read())
        {
            var stored = reader.GetFieldValue<List<float>>(1);
            Assert.Equal(Vector(rows).ToArray(), stored);
            rows++;
        }
        Assert.Equal(Rows, rows);
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("binary")]
    public void Codes_and_bits_from_the_reused_buffers_are_each_rows_own(string precision)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        var encoding = Encoding(precision);
        Append(connection, encoding, withVectors: true);

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, v FROM t ORDER BY id";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var id = (int)reader.GetInt64(0);
            if (precision == "int8")
            {
                Assert.Equal(encoding.Ranges!.Quantize(Vector(id).Span), reader.GetFieldValue<List<sbyte>>(1));
            }
            else
            {
                Assert.Equal(VectorEncoding.PackSigns(Vector(id).Span), reader.GetFieldValue<List<ulong>>(1));
            }
        }
    }
}
