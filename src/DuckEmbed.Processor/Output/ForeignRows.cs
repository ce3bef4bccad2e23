using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;

namespace DuckEmbed.Processor.Output;

/// <summary>Rows of a table that are not the input's: ids the input does not have, or another text for an id.</summary>
internal sealed record ForeignRows(long UnknownIds, long OtherTexts)
{
    public long Count => UnknownIds + OtherTexts;

    public static ForeignRows In(DuckDBConnection connection, string table, InputTable input)
    {
        var id = SqlIdentifier.Quote(input.IdColumn);
        var text = SqlIdentifier.Quote(input.TextColumn);
        return new ForeignRows(
            JobDatabase.Count(connection, $"SELECT count(*) FROM {table} AS s ANTI JOIN {input.QualifiedName} AS i ON s.{id} = i.{id}"),
            JobDatabase.Count(connection, $"SELECT count(*) FROM {table} AS s JOIN {input.QualifiedName} AS i ON s.{id} = i.{id} WHERE s.{text} IS DISTINCT FROM i.{text}"));
    }

    public override string ToString() => string.Join(" and ", new[]
    {
        UnknownIds > 0 ? $"{UnknownIds:N0} rows whose ids are not in the input" : null,
        OtherTexts > 0 ? $"{OtherTexts:N0} rows whose texts are not the input's (the input changed since)" : null,
    }.OfType<string>());
}
