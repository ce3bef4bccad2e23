using DuckDB.NET.Data;

namespace DuckEmbed.Processor;

/// <summary>Opens the input (read-only) and output databases.</summary>
internal static class DuckDbConnections
{
    public static DuckDBConnection OpenInput(string path, string spillDirectory)
    {
        if (!File.Exists(path))
        {
            throw new EmbeddingJobException($"input_db_path: {path} does not exist.");
        }
        // Read-only: DuckDB writes nothing to the file or a WAL. Sorting a large table may spill; the spill goes
        // beside the output, never beside the input.
        return Open($"Data Source={path};ACCESS_MODE=READ_ONLY;temp_directory={spillDirectory}", "input_db_path", path);
    }

    public static DuckDBConnection OpenOutput(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            throw new EmbeddingJobException($"output_db_path: the folder {directory} does not exist.");
        }
        return Open($"Data Source={path}", "output_db_path", path);
    }

    private static DuckDBConnection Open(string connectionString, string setting, string path)
    {
        var connection = new DuckDBConnection(connectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch (DuckDBException e)
        {
            connection.Dispose();
            throw new EmbeddingJobException($"{setting}: {path} cannot be opened or created as a DuckDB database: {FirstLine(e.Message)}", e);
        }
    }

    internal static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
