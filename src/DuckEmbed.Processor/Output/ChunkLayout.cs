using System.Runtime.CompilerServices;
using System.Text;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Pipeline;
using static DuckEmbed.Processor.Output.DuckDbTableFunctionApi;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// The output table's columns as <see cref="ParallelInsertWriter"/>'s table function gives them, and the filling of
/// one of its data chunks from a window's rows: ids of a fixed width copied as they are, texts in UTF-8, vectors
/// written (as floats, int8 codes or sign bits) straight into the array column's memory, NULL texts marked invalid.
/// Only the types where that is exact are here (<see cref="For"/>); the others take <see cref="OutputWriter"/>'s appender.
/// </summary>
internal sealed unsafe class ChunkLayout
{
    private readonly IdLayout _id;
    private readonly (TypeId Element, int Length)[] _vectors;
    private readonly Int8Ranges? _ranges;

    private ChunkLayout(IdLayout id, (TypeId, int)[] vectors, Int8Ranges? ranges)
    {
        _id = id;
        _vectors = vectors;
        _ranges = ranges;
    }

    /// <summary>
    /// The layout for the output table whose columns have <paramref name="columnTypes"/> (id, text, then the vector
    /// columns: <c>FLOAT[N]</c>, int8's <c>TINYINT[N]</c> quantized with <paramref name="ranges"/>, binary's
    /// <c>UBIGINT[W]</c>), or <c>null</c> where the table function cannot give them exactly (a list column, a
    /// TIMESTAMPTZ id).
    /// </summary>
    public static ChunkLayout? For(IReadOnlyList<string> columnTypes, Int8Ranges? ranges)
    {
        if (IdOf(columnTypes[0]) is not { } id)
        {
            return null;
        }
        var vectors = new (TypeId, int)[columnTypes.Count - 2];
        for (var i = 0; i < vectors.Length; i++)
        {
            if (OutputTable.ArrayType.Match(columnTypes[i + 2]) is not { Success: true } array)
            {
                return null;
            }
            var element = array.Groups[1].Value switch
            {
                "FLOAT" => TypeId.Float,
                "TINYINT" => TypeId.TinyInt,
                _ => TypeId.UBigInt,
            };
            vectors[i] = (element, int.Parse(array.Groups[2].ValueSpan, System.Globalization.CultureInfo.InvariantCulture));
        }
        return new ChunkLayout(id, vectors, ranges);
    }

    /// <summary>Whether ids of <paramref name="idType"/> can be given by the table function.</summary>
    public static bool CanCopyIds(string idType) => IdOf(idType) is not null;

    // How ids of a DuckDB type go into the function's id column: integers and floats as they are in memory; text,
    // JSON and ENUM values as their text, and UUIDs, huge integers, decimals, dates, timestamps and times as the text
    // DuckDB reads back exactly (the insert casts them to the output's id type); BLOBs as their bytes. Timestamps with
    // a time zone take the appender (their text would depend on the session's time zone).
    private static IdLayout? IdOf(string idType) => idType switch
    {
        "TINYINT" => new(TypeId.TinyInt, 1),
        "SMALLINT" => new(TypeId.SmallInt, 2),
        "INTEGER" => new(TypeId.Integer, 4),
        "BIGINT" => new(TypeId.BigInt, 8),
        "UTINYINT" => new(TypeId.UTinyInt, 1),
        "USMALLINT" => new(TypeId.USmallInt, 2),
        "UINTEGER" => new(TypeId.UInteger, 4),
        "UBIGINT" => new(TypeId.UBigInt, 8),
        "FLOAT" => new(TypeId.Float, 4),
        "DOUBLE" => new(TypeId.Double, 8),
        "VARCHAR" or "JSON" => new(TypeId.Varchar, 0),
        "BLOB" => new(TypeId.Blob, 0),
        "UUID" => new(TypeId.Varchar, 0, Utf8<Guid>("D")),
        "HUGEINT" or "UHUGEINT" => new(TypeId.Varchar, 0, Utf8<System.Numerics.BigInteger>("D")),
        "DATE" => new(TypeId.Varchar, 0, Utf8<DateOnly>("yyyy-MM-dd")),
        "TIMESTAMP" or "TIMESTAMP_S" or "TIMESTAMP_MS" => new(TypeId.Varchar, 0, Utf8<DateTime>("yyyy-MM-dd HH:mm:ss.ffffff")),
        "TIME" => new(TypeId.Varchar, 0, Utf8<TimeOnly>("HH:mm:ss.ffffff")),
        _ when idType.StartsWith("ENUM(", StringComparison.Ordinal) => new(TypeId.Varchar, 0),
        _ when idType.StartsWith("DECIMAL(", StringComparison.Ordinal) => new(TypeId.Varchar, 0, Utf8<decimal>(null)),
        _ => null,
    };

    private sealed record IdLayout(TypeId Type, int Width, IdText? Text = null);

    /// <summary>Writes the id in slot <c>index</c> as UTF-8 text; returns its length.</summary>
    private delegate int IdText(IdValues ids, int index, Span<byte> utf8);

    private static IdText Utf8<T>(string? format) where T : IUtf8SpanFormattable => (ids, index, utf8) =>
        ((IdValues<T>)ids).Values[index].TryFormat(utf8, out var written, format, System.Globalization.CultureInfo.InvariantCulture)
            ? written
            : throw new InvalidOperationException($"An id of {typeof(T).Name} does not fit {utf8.Length} bytes of text.");

    /// <summary>Adds the table's columns to the table function's result, in the table's order.</summary>
    public void Bind(IntPtr info)
    {
        AddColumn(info, "id", duckdb_create_logical_type(_id.Type));
        AddColumn(info, "text", duckdb_create_logical_type(TypeId.Varchar));
        for (var i = 0; i < _vectors.Length; i++)
        {
            var child = duckdb_create_logical_type(_vectors[i].Element);
            AddColumn(info, $"vector{i}", duckdb_create_array_type(child, (ulong)_vectors[i].Length));
            duckdb_destroy_logical_type(ref child);
        }
    }

    private static void AddColumn(IntPtr info, string name, IntPtr type)
    {
        duckdb_bind_add_result_column(info, name, type);
        duckdb_destroy_logical_type(ref type);
    }

    private static readonly byte[] NoBytes = [0];

    // A text's UTF-8 bytes, one buffer per DuckDB thread.
    [ThreadStatic] private static byte[]? _utf8;

    /// <summary>
    /// Writes <paramref name="count"/> rows of <paramref name="window"/> from <paramref name="start"/> into
    /// <paramref name="chunk"/>: each vector column as its element type stores the vector (floats, int8 codes, sign bits).
    /// </summary>
    public void Fill(IntPtr chunk, RowWindow window, int start, int count)
    {
        WriteIds(duckdb_data_chunk_get_vector(chunk, 0), window.Ids, start, count);
        var texts = duckdb_data_chunk_get_vector(chunk, 1);
        Span<IntPtr> vectors = stackalloc IntPtr[_vectors.Length];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = duckdb_data_chunk_get_vector(chunk, (ulong)i + 2);
        }
        for (var r = 0; r < count; r++)
        {
            var row = start + r;
            if (window.Texts[row] is not { } text)
            {
                SetNull(texts, r);
                foreach (var vector in vectors)
                {
                    SetNull(vector, r);
                }
                continue;
            }
            WriteText(texts, r, text);
            var floats = window.Vectors[row]!.Value.Span;
            for (var i = 0; i < vectors.Length; i++)
            {
                var (element, length) = _vectors[i];
                switch (element)
                {
                    case TypeId.TinyInt:
                        _ranges!.Quantize(floats, Row<sbyte>(vectors[i], r, length));
                        break;
                    case TypeId.UBigInt:
                        VectorEncoding.PackSigns(floats, Row<ulong>(vectors[i], r, length));
                        break;
                    default:
                        floats.CopyTo(Row<float>(vectors[i], r, length));
                        break;
                }
            }
        }
        duckdb_data_chunk_set_size(chunk, (ulong)count);
    }

    private void WriteIds(IntPtr vector, IdValues ids, int start, int count)
    {
        if (_id.Text is { } text)
        {
            Span<byte> utf8 = stackalloc byte[80];
            for (var r = 0; r < count; r++)
            {
                var length = text(ids, start + r, utf8);
                fixed (byte* bytes = utf8)
                {
                    duckdb_vector_assign_string_element_len(vector, (ulong)r, bytes, (ulong)length);
                }
            }
        }
        else if (_id.Type == TypeId.Blob)
        {
            var values = ((IdValues<byte[]>)ids).Values;
            for (var r = 0; r < count; r++)
            {
                // An empty array pins as a null pointer.
                fixed (byte* bytes = values[start + r].Length > 0 ? values[start + r] : NoBytes)
                {
                    duckdb_vector_assign_string_element_len(vector, (ulong)r, bytes, (ulong)values[start + r].Length);
                }
            }
        }
        else if (_id.Type == TypeId.Varchar)
        {
            var values = ((IdValues<string>)ids).Values;
            for (var r = 0; r < count; r++)
            {
                WriteText(vector, r, values[start + r]);
            }
        }
        else
        {
            ids.CopyBytes(start, count, new Span<byte>(duckdb_vector_get_data(vector), count * _id.Width));
        }
    }

    private static void WriteText(IntPtr vector, int row, string text)
    {
        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_utf8 is null || _utf8.Length < most)
        {
            _utf8 = new byte[Math.Max(most, 4096)];
        }
        var length = Encoding.UTF8.GetBytes(text, _utf8);
        fixed (byte* bytes = _utf8)
        {
            duckdb_vector_assign_string_element_len(vector, (ulong)row, bytes, (ulong)length);
        }
    }

    private static Span<T> Row<T>(IntPtr arrayVector, int row, int length) where T : unmanaged =>
        new((T*)duckdb_vector_get_data(duckdb_array_vector_get_child(arrayVector)) + (long)row * length, length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetNull(IntPtr vector, int row)
    {
        duckdb_vector_ensure_validity_writable(vector);
        var validity = duckdb_vector_get_validity(vector);
        validity[row / 64] &= ~(1UL << (row % 64));
    }
}
