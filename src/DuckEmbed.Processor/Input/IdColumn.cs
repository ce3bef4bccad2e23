using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;

namespace DuckEmbed.Processor.Input;

/// <summary>
/// How ids of one DuckDB type are read into .NET and appended to the output, chosen once per column. Only types
/// whose every value (or, with <see cref="UncopyableCondition"/>, every value present) comes back byte-for-byte
/// are here; <see cref="For"/> refuses the rest before anything is written.
/// </summary>
internal abstract partial class IdColumn
{
    protected IdColumn(string duckDbType, string? uncopyableCondition)
    {
        DuckDbType = duckDbType;
        UncopyableCondition = uncopyableCondition;
    }

    /// <summary>The column's type as DuckDB names it (also the output id column's type).</summary>
    public string DuckDbType { get; }

    /// <summary>
    /// A SQL condition on <c>{0}</c> (the quoted id) that holds for values of this type that .NET cannot carry
    /// exactly (dates past year 9999, infinities, decimals past 28 digits); <c>null</c> where every value can.
    /// </summary>
    public string? UncopyableCondition { get; }

    /// <summary>A buffer for one window's ids.</summary>
    public abstract IdValues CreateValues(int capacity);

    /// <summary>The reader and writer for a column of <paramref name="duckDbType"/>, or a user error naming it.</summary>
    public static IdColumn For(string column, string duckDbType)
    {
        IdColumn? id = duckDbType switch
        {
            "TINYINT" => Of<sbyte>(duckDbType, (r, i) => r.GetFieldValue<sbyte>(i), (row, v) => row.AppendValue(v)),
            "SMALLINT" => Of<short>(duckDbType, (r, i) => r.GetInt16(i), (row, v) => row.AppendValue(v)),
            "INTEGER" => Of<int>(duckDbType, (r, i) => r.GetInt32(i), (row, v) => row.AppendValue(v)),
            "BIGINT" => Of<long>(duckDbType, (r, i) => r.GetInt64(i), (row, v) => row.AppendValue(v)),
            "HUGEINT" or "UHUGEINT" => Of<BigInteger>(duckDbType, (r, i) => r.GetFieldValue<BigInteger>(i), (row, v) => row.AppendValue(v)),
            "UTINYINT" => Of<byte>(duckDbType, (r, i) => r.GetByte(i), (row, v) => row.AppendValue(v)),
            "USMALLINT" => Of<ushort>(duckDbType, (r, i) => r.GetFieldValue<ushort>(i), (row, v) => row.AppendValue(v)),
            "UINTEGER" => Of<uint>(duckDbType, (r, i) => r.GetFieldValue<uint>(i), (row, v) => row.AppendValue(v)),
            "UBIGINT" => Of<ulong>(duckDbType, (r, i) => r.GetFieldValue<ulong>(i), (row, v) => row.AppendValue(v)),
            "FLOAT" => Of<float>(duckDbType, (r, i) => r.GetFloat(i), (row, v) => row.AppendValue(v)),
            "DOUBLE" => Of<double>(duckDbType, (r, i) => r.GetDouble(i), (row, v) => row.AppendValue(v)),
            "UUID" => Of<Guid>(duckDbType, (r, i) => r.GetGuid(i), (row, v) => row.AppendValue(v)),
            "VARCHAR" or "JSON" => Of<string>(duckDbType, (r, i) => r.GetString(i), AppendText),
            "BLOB" => Of<byte[]>(duckDbType, ReadBytes, (row, v) => row.AppendValue(v)),
            "DATE" => Of<DateOnly>(duckDbType, (r, i) => r.GetFieldValue<DateOnly>(i), (row, v) => row.AppendValue(v),
                "NOT isfinite({0}) OR {0} < DATE '0001-01-01' OR {0} > DATE '9999-12-31'"),
            "TIMESTAMP" or "TIMESTAMP_S" or "TIMESTAMP_MS" => Of<DateTime>(duckDbType, (r, i) => r.GetDateTime(i), (row, v) => row.AppendValue(v),
                "NOT isfinite({0}) OR {0} < TIMESTAMP '0001-01-01' OR {0} > TIMESTAMP '9999-12-31 23:59:59.999999'"),
            "TIMESTAMP WITH TIME ZONE" => Of<DateTime>(duckDbType, (r, i) => r.GetDateTime(i), (row, v) => row.AppendValue(v),
                "NOT isfinite({0}) OR {0} < TIMESTAMPTZ '0001-01-01 00:00:00+00' OR {0} > TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'"),
            // DuckDB allows 24:00:00; TimeOnly stops a microsecond before.
            "TIME" => Of<TimeOnly>(duckDbType, (r, i) => r.GetFieldValue<TimeOnly>(i), (row, v) => row.AppendValue(v), "{0} >= TIME '24:00:00'"),
            _ => null,
        };
        if (id is not null)
        {
            return id;
        }
        if (duckDbType.StartsWith("ENUM(", StringComparison.Ordinal))
        {
            return Of<string>(duckDbType, (r, i) => r.GetString(i), AppendText);
        }
        if (Decimal().Match(duckDbType) is { Success: true } dec)
        {
            // System.Decimal holds 28 significant digits exactly (DuckDB.NET rounds beyond): wider columns are
            // copied when every value present fits.
            var width = int.Parse(dec.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var scale = int.Parse(dec.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            return Of<decimal>(duckDbType, (r, i) => r.GetDecimal(i), (row, v) => row.AppendValue(v),
                width <= 28 ? null : $"abs({{0}}) >= {BigInteger.Pow(10, 28 - scale)}::{duckDbType}");
        }
        throw new EmbeddingJobException(JobSetting.IdColumn,
            $"'{column}' is {duckDbType}, which DuckEmbed cannot copy exactly. Use an id of an integer, text, UUID, " +
            "DECIMAL, DATE, TIMESTAMP (to the microsecond), TIME, FLOAT/DOUBLE, ENUM or BLOB type, e.g. through a view " +
            "that adds row_number() OVER () or CAST(id AS VARCHAR).");
    }

    private static IdColumn<T> Of<T>(string type, Func<DuckDBDataReader, int, T> read, Func<IDuckDBAppenderRow, T, IDuckDBAppenderRow> append,
        string? uncopyable = null) => new(type, read, append, uncopyable);

    // DuckDB.NET passes strings to DuckDB as C strings, which end at the first NUL; UTF-8 bytes keep the whole
    // text. Texts without NUL (nearly all) take the direct path.
    internal static IDuckDBAppenderRow AppendText(IDuckDBAppenderRow row, string? text) =>
        text is not null && text.Contains('\0', StringComparison.Ordinal)
            ? row.AppendValue(Encoding.UTF8.GetBytes(text))
            : row.AppendValue(text);

    private static byte[] ReadBytes(DuckDBDataReader reader, int ordinal)
    {
        using var stream = reader.GetStream(ordinal);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [GeneratedRegex(@"^DECIMAL\((\d+),(\d+)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex Decimal();
}

/// <summary>An <see cref="IdColumn"/> whose ids are .NET values of type <typeparamref name="T"/>.</summary>
internal sealed class IdColumn<T>(string duckDbType, Func<DuckDBDataReader, int, T> read,
    Func<IDuckDBAppenderRow, T, IDuckDBAppenderRow> append, string? uncopyableCondition) : IdColumn(duckDbType, uncopyableCondition)
{
    public override IdValues CreateValues(int capacity) => new IdValues<T>(capacity, read, append);
}
