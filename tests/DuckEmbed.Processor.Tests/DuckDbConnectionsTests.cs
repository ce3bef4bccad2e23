using DuckDB.NET.Data;
using DuckEmbed.Tests;

namespace DuckEmbed.Processor.Tests;

public sealed class DuckDbConnectionsTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Setting(DuckDBConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT current_setting('{name}')::VARCHAR";
        return (string)command.ExecuteScalar()!;
    }

    private (DuckDBConnection Input, DuckDBConnection Output) OpenBoth()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var output = _folder.File("out.duckdb");
        return (DuckDbConnections.OpenInput(input, output, "64MB"), DuckDbConnections.OpenOutput(output, "64MB"));
    }

    [Fact]
    public void Input_and_output_spill_into_different_folders_beside_the_output()
    {
        // Both databases spill when a table outgrows the memory limit (the input's sort by id, the output's
        // writes); sharing one folder, they overwrote each other's spill files and a 1M-row run failed.
        var (inputConnection, outputConnection) = OpenBoth();
        using var _ = inputConnection;
        using var __ = outputConnection;

        var inputSpill = Setting(inputConnection, "temp_directory");
        var outputSpill = Setting(outputConnection, "temp_directory");

        Assert.NotEqual(Path.GetFullPath(inputSpill), Path.GetFullPath(outputSpill));
        Assert.StartsWith(_folder.Path, Path.GetFullPath(inputSpill), StringComparison.Ordinal);
    }

    [Fact]
    public void Both_databases_are_capped_in_memory_and_threads_whatever_the_machine()
    {
        var (inputConnection, outputConnection) = OpenBoth();
        using var _ = inputConnection;
        using var __ = outputConnection;

        foreach (var connection in new[] { inputConnection, outputConnection })
        {
            Assert.Equal("61.0 MiB", Setting(connection, "memory_limit"));
            Assert.Equal("2", Setting(connection, "threads"));
        }
    }
}
