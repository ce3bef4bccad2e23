namespace DuckEmbed.Processor.Database;

/// <summary>The one place where names from the configuration become SQL.</summary>
internal static class SqlIdentifier
{
    /// <summary>Quotes <paramref name="name"/> as a DuckDB identifier: whatever it holds stays a name.</summary>
    public static string Quote(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw new EmbeddingJobException($"The name '{name.Replace("\0", "\\0", StringComparison.Ordinal)}' holds a NUL character.");
        }
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Quotes a schema-qualified name.</summary>
    public static string Quote(string schema, string name) => Quote(schema) + "." + Quote(name);
}
