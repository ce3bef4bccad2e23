using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;

namespace DuckEmbed.Processor.Input;

/// <summary>The input table as found in the input database, checked against the job.</summary>
internal sealed record InputTable(string QualifiedName, string IdColumn, DuckEmbed.Processor.Input.IdColumn Ids, string TextColumn, long RowCount)
{
    /// <summary>The shard whose rows this run embeds; <c>null</c> for all rows.</summary>
    public ShardSelection? Shard { get; init; }

    /// <summary>The condition selecting this run's rows on the id <paramref name="quotedId"/>, or <c>true</c>.</summary>
    public string RowsOfThisRun(string quotedId) => Shard?.Condition(quotedId) ?? "true";

    /// <summary>The id column's DuckDB type.</summary>
    public string IdType => Ids.DuckDbType;

    /// <summary>
    /// Finds the table and columns of <paramref name="job"/> in the input catalog and checks the ids: no NULLs, no
    /// duplicates, a type (and values) that are copied exactly.
    /// </summary>
    /// <param name="input">A connection with the input attached.</param>
    /// <param name="job">Names the table and columns.</param>
    /// <param name="checkValues">Also scan the ids (NULLs, duplicates, values not copied exactly, row count);
    /// without it only the catalog is read, in milliseconds whatever the table's size.</param>
    public static InputTable Inspect(DuckDBConnection input, EmbeddingJob job, bool checkValues = true)
    {
        try
        {
            return InspectTable(input, job, checkValues);
        }
        catch (DuckDBException e)
        {
            // A view whose tables are gone, a table function that fails: DuckDB's words, with the setting named.
            throw new EmbeddingJobException(JobSetting.InputTable, $"'{job.InputTable}' cannot be read: {JobDatabase.FirstLine(e.Message)}", e);
        }
    }

    private static InputTable InspectTable(DuckDBConnection input, EmbeddingJob job, bool checkValues)
    {
        var (schema, table) = ResolveTable(input, job.InputTable);
        var columns = ReadColumns(input, schema, table);
        var id = ResolveColumn(columns, job.IdColumn, JobSetting.IdColumn, job.InputTable);
        var text = ResolveColumn(columns, job.TextColumn, JobSetting.TextColumn, job.InputTable);
        if (string.Equals(id.Name, text.Name, StringComparison.Ordinal))
        {
            throw new EmbeddingJobException(JobSetting.TextColumn, $"The id column and the text column are both '{id.Name}'; they must be two columns.");
        }
        if (!string.Equals(text.Type, "VARCHAR", StringComparison.Ordinal))
        {
            throw new EmbeddingJobException(JobSetting.TextColumn,
                $"'{text.Name}' is {text.Type}, not VARCHAR. Choose a text column, or add one (e.g. a view with CAST(... AS VARCHAR)).");
        }

        var ids = DuckEmbed.Processor.Input.IdColumn.For(id.Name, id.Type);
        var qualified = SqlIdentifier.Quote(JobDatabase.InputCatalog) + "." + SqlIdentifier.Quote(schema, table);
        var quotedId = SqlIdentifier.Quote(id.Name);
        if (!checkValues)
        {
            return new InputTable(qualified, id.Name, ids, text.Name, RowCount: -1) { Shard = job.Shard };
        }
        var uncopyable = ids.UncopyableCondition is { } condition ? string.Format(System.Globalization.CultureInfo.InvariantCulture, condition, quotedId) : "false";
        using var command = input.CreateCommand();
        command.CommandText = $"SELECT count(*), count({quotedId}), count(DISTINCT {quotedId}), count(*) FILTER (WHERE {uncopyable}), " +
            $"min({quotedId}::VARCHAR) FILTER (WHERE {uncopyable}), count(*) FILTER (WHERE {job.Shard?.Condition(quotedId) ?? "true"}) FROM {qualified}";
        using var reader = command.ExecuteReader();
        reader.Read();
        var rows = reader.GetInt64(0);
        var nonNullIds = reader.GetInt64(1);
        var distinctIds = reader.GetInt64(2);
        var uncopyableIds = reader.GetInt64(3);
        if (nonNullIds < rows)
        {
            throw new EmbeddingJobException(JobSetting.IdColumn,
                $"'{id.Name}' is NULL in {rows - nonNullIds} of {rows} rows. Every row needs an id: fill them, or filter them out with a view.");
        }
        if (distinctIds < nonNullIds)
        {
            throw new EmbeddingJobException(JobSetting.IdColumn,
                $"'{id.Name}' is not unique: {nonNullIds - distinctIds} rows repeat an id ({SampleDuplicates(input, qualified, quotedId)}). Resuming needs unique ids: use a unique column.");
        }
        if (uncopyableIds > 0)
        {
            throw new EmbeddingJobException(JobSetting.IdColumn,
                $"'{id.Name}' is {id.Type}, and {uncopyableIds} of its values (e.g. '{reader.GetString(4)}') are outside what DuckEmbed copies exactly " +
                "(dates and times from year 1 to 9999, finite, decimals of up to 28 digits). Use another id column, e.g. a view with row_number() OVER () or CAST(id AS VARCHAR).");
        }
        // A shard's row count is its own: the rows of the other shards are no part of this run.
        return new InputTable(qualified, id.Name, ids, text.Name, reader.GetInt64(5)) { Shard = job.Shard };
    }

    private static string SampleDuplicates(DuckDBConnection input, string qualified, string quotedId)
    {
        using var command = input.CreateCommand();
        command.CommandText = $"SELECT {quotedId}::VARCHAR, count(*) FROM {qualified} GROUP BY ALL HAVING count(*) > 1 ORDER BY 1 LIMIT 5";
        using var reader = command.ExecuteReader();
        var samples = new List<string>();
        while (reader.Read())
        {
            samples.Add($"'{reader.GetString(0)}' ×{reader.GetInt64(1)}");
        }
        return "e.g. " + string.Join(", ", samples);
    }

    private static (string Schema, string Table) ResolveTable(DuckDBConnection input, string wanted)
    {
        using var command = input.CreateCommand();
        command.CommandText = "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = $catalog";
        command.Parameters.Add(new DuckDBParameter("catalog", JobDatabase.InputCatalog));
        var tables = new List<(string Schema, string Table)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        // A name is first a table's own name (which may hold a dot), then schema.table. DuckDB matches names
        // case-insensitively; an exact match wins over a case-insensitive one.
        var candidates = new List<(string Schema, string Table)>();
        foreach (var comparison in new[] { StringComparison.Ordinal, StringComparison.OrdinalIgnoreCase })
        {
            candidates = tables.Where(t => string.Equals(t.Table, wanted, comparison)).ToList();
            if (candidates.Count == 0 && wanted.Contains('.', StringComparison.Ordinal))
            {
                candidates = tables.Where(t => string.Equals($"{t.Schema}.{t.Table}", wanted, comparison)).ToList();
            }
            if (candidates.Count > 0)
            {
                break;
            }
        }
        return candidates.Count switch
        {
            0 => throw new EmbeddingJobException(JobSetting.InputTable,
                $"'{wanted}' is not a table of the input database; {NameSuggestions.For(wanted, tables.Select(t => t.Schema == "main" ? t.Table : $"{t.Schema}.{t.Table}").ToList())}"),
            1 => candidates[0],
            _ => candidates.FirstOrDefault(t => t.Schema == "main") is { Table: not null } main ? main
                : throw new EmbeddingJobException(JobSetting.InputTable, $"'{wanted}' is in several schemas ({string.Join(", ", candidates.Select(c => c.Schema))}); write it as schema.table."),
        };
    }

    private static List<(string Name, string Type)> ReadColumns(DuckDBConnection input, string schema, string table)
    {
        using var command = input.CreateCommand();
        command.CommandText = """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_catalog = $catalog AND table_schema = $schema AND table_name = $table
            ORDER BY ordinal_position
            """;
        command.Parameters.Add(new DuckDBParameter("catalog", JobDatabase.InputCatalog));
        command.Parameters.Add(new DuckDBParameter("schema", schema));
        command.Parameters.Add(new DuckDBParameter("table", table));
        using var reader = command.ExecuteReader();
        var columns = new List<(string, string)>();
        while (reader.Read())
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }
        return columns;
    }

    private static (string Name, string Type) ResolveColumn(List<(string Name, string Type)> columns, string wanted, JobSetting setting, string table)
    {
        var match = columns.FirstOrDefault(c => string.Equals(c.Name, wanted, StringComparison.Ordinal));
        if (match.Name is null)
        {
            match = columns.FirstOrDefault(c => string.Equals(c.Name, wanted, StringComparison.OrdinalIgnoreCase));
        }
        return match.Name is not null
            ? match
            : throw new EmbeddingJobException(setting,
                $"'{wanted}' is not a column of {table}; {NameSuggestions.For(wanted, columns.Select(c => c.Name).ToList())}");
    }
}
