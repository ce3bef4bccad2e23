using System.Diagnostics;
using System.Security.Cryptography;
using DuckDB.NET.Data;
using DuckEmbed.Onnx;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;
using Xunit.Abstractions;

namespace DuckEmbed.Cli.Tests;

/// <summary>Crashes, full disks and broken inputs, with the real program and model.</summary>
public sealed class ReliabilityTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => _folder.File("output.duckdb");

    private string WriteInput(IEnumerable<(long Id, string Text)> rows)
    {
        var input = _folder.File("input.duckdb");
        CorpusInput.Write(input, rows);
        return input;
    }

    private string WriteConfig(string extra = "")
    {
        var config = _folder.File("config.json");
        File.WriteAllText(config, $$"""
            { "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "texts",
              "id_column": "id", "text_column": "text", "output_table": "embedded"{{extra}} }
            """);
        return config;
    }

    [Fact]
    public async Task Killed_hard_at_ten_random_moments_a_20k_row_run_ends_with_every_row_once_and_the_uninterrupted_vectors()
    {
        // Package summary lines: real text, short enough that 20,000 rows embed in seconds.
        var rows = Corpus.Read(20_000).Select(r => (r.Id, Text: r.Text.Split('\n')[0])).ToList();
        var input = WriteInput(rows);
        var inputHash = SHA256.HashData(File.ReadAllBytes(input));
        // Two writers: DuckDB's insert on two threads, each taking windows as they come (out of id order once
        // generator calls overlap); a commit every second, so a kill can come while a statement holds copied rows.
        var config = WriteConfig(", \"batches_per_window\": 2, \"writers\": 2, \"commit_seconds\": 1");
        var environment = new Dictionary<string, string> { ["BATCH_SIZE"] = "32" };
        var random = new Random(7);
        var kills = 0;
        var committedAtKill = new List<long>();
        for (var attempt = 0; kills < 10 && attempt < 40; attempt++)
        {
            using var cli = new CliProcess(config, environment);
            // A random moment after this run's first commit, so that every run moves the output on, however slow
            // start-up is on a loaded machine.
            try
            {
                cli.WaitForOutput("Processed ", 1, TimeSpan.FromMinutes(2));
            }
            catch (TimeoutException) when (cli.HasExited)
            {
                continue;
            }
            Thread.Sleep(random.Next(0, 2500));
            if (cli.HasExited)
            {
                continue;
            }
            cli.KillHard();
            kills++;
            committedAtKill.Add(File.Exists(Output) ? TestDatabase.CountRows(Output, "embedded") : 0);
        }
        log.WriteLine($"rows committed at each kill: {string.Join(", ", committedAtKill)}");

        // The rest of the 20,000 rows in one run: minutes on a loaded 2-core machine.
        using var last = new CliProcess(config, environment);
        var exitCode = last.WaitForExit(TimeSpan.FromMinutes(8));
        var stderr = last.Stderr;

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(10, kills);
        Assert.True(committedAtKill.Distinct().Count() >= 5, "kills should land at many different points of the run");
        Assert.True(committedAtKill.Max() < rows.Count, "the last kill should come before the end");

        var written = TestDatabase.Query(Output, "SELECT id, vector FROM embedded ORDER BY id");
        Assert.Equal(rows.Select(r => (object)r.Id), written.Select(r => r[0]!));
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { MaxBatchSize = 64 });
        var uninterrupted = await generator.GenerateAsync(rows.Select(r => r.Text));
        var lowest = written.Select((row, i) => VectorMath.Cosine(((List<float>)row[1]!).ToArray(), uninterrupted[i].Vector.Span)).Min();
        log.WriteLine($"lowest cosine to an uninterrupted embedding: {lowest:F7}");
        Assert.True(lowest >= 0.9999, $"lowest cosine {lowest}");

        Assert.Equal(inputHash, SHA256.HashData(File.ReadAllBytes(input)));
        Assert.Equal(["config.json", "input.duckdb", "output.duckdb"], Directory.EnumerateFileSystemEntries(_folder.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task A_sync_killed_hard_at_ten_random_moments_ends_with_every_row_once_and_never_a_stale_or_doubled_row()
    {
        var before = Corpus.Read(5_000).Select(r => (r.Id, Text: r.Text.Split('\n')[0])).ToList();
        var input = WriteInput(before);
        var config = WriteConfig(", \"batches_per_window\": 2, \"writers\": 2, \"commit_seconds\": 1");
        var environment = new Dictionary<string, string> { ["BATCH_SIZE"] = "32" };
        using (var first = new CliProcess(config, environment))
        {
            Assert.True(first.WaitForExit(TimeSpan.FromMinutes(4)) == 0, first.Stderr);
        }
        // Every other text edited, every eleventh row deleted, 8,000 rows added: a sync of about 10,300 rows, enough that
        // ten kills (each after at most 3 s of work) do not finish it on a fast CPU.
        var after = before.Where(r => r.Id % 11 != 0).Select(r => r.Id % 2 == 0 ? (r.Id, Text: r.Text + " (revised)") : r)
            .Concat(Corpus.Read(13_000).Skip(5_000).Select(r => (r.Id, Text: r.Text.Split('\n')[0]))).ToList();
        File.Delete(input);
        WriteInput(after);
        var inputHash = SHA256.HashData(File.ReadAllBytes(input));
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { MaxBatchSize = 64 });
        var texts = before.Concat(after).Select(r => r.Text).Distinct().ToList();
        var vectorOf = texts.Zip(await generator.GenerateAsync(texts), (text, e) => (text, e.Vector)).ToDictionary(p => p.text, p => p.Vector);
        var inputIds = after.Select(r => r.Id).ToHashSet();

        var random = new Random(11);
        var kills = new List<string>();
        for (var attempt = 0; kills.Count < 10 && attempt < 40; attempt++)
        {
            using var cli = CliProcess.Start("sync", config, environment);
            try
            {
                cli.WaitForOutput("Processed ", 1, TimeSpan.FromMinutes(2));
            }
            catch (TimeoutException) when (cli.HasExited)
            {
                continue;
            }
            Thread.Sleep(random.Next(0, 3000));
            if (cli.HasExited)
            {
                continue;
            }
            cli.KillHard();
            // At every kill: each id once, none the input lost, and each row's vector its own stored text's (the old
            // text's until the new one commits).
            var rows = TestDatabase.Query(Output, "SELECT id, text, vector FROM embedded");
            Assert.Equal(rows.Count, rows.Select(r => r[0]).Distinct().Count());
            Assert.All(rows, r => Assert.Contains((long)r[0]!, inputIds));
            var lowest = rows.Min(r => VectorMath.Cosine(((List<float>)r[2]!).ToArray(), vectorOf[(string)r[1]!].Span));
            Assert.True(lowest >= 0.9999, $"a row's vector is not its text's: cosine {lowest}");
            var revised = rows.Count(r => ((string)r[1]!).EndsWith(" (revised)", StringComparison.Ordinal));
            kills.Add($"{rows.Count} rows, {revised} revised");
        }
        log.WriteLine($"at each kill: {string.Join("; ", kills)}");

        using var last = CliProcess.Start("sync", config, environment);
        Assert.True(last.WaitForExit(TimeSpan.FromMinutes(6)) == 0, last.Stderr);
        Assert.Equal(10, kills.Count);
        Assert.True(kills.Distinct().Count() >= 4, "kills should land at several different points of the sync");

        var written = TestDatabase.Query(Output, "SELECT id, text, vector FROM embedded ORDER BY id");
        var expected = after.OrderBy(r => r.Id).ToList();
        Assert.Equal(expected.Select(r => (object)r.Id), written.Select(r => r[0]!));
        Assert.Equal(expected.Select(r => (object)r.Text), written.Select(r => r[1]!));
        var lowestAtEnd = written.Select((row, i) => VectorMath.Cosine(((List<float>)row[2]!).ToArray(), vectorOf[expected[i].Text].Span)).Min();
        Assert.True(lowestAtEnd >= 0.9999, $"lowest cosine {lowestAtEnd}");
        Assert.Equal(inputHash, SHA256.HashData(File.ReadAllBytes(input)));
    }

    [Fact]
    public async Task Shards_and_their_merge_killed_hard_at_random_moments_end_with_every_row_once_and_the_uninterrupted_vectors()
    {
        var rows = Corpus.Read(4_000).Select(r => (r.Id, Text: r.Text.Split('\n')[0])).ToList();
        WriteInput(rows);
        var config = WriteConfig(", \"batches_per_window\": 2, \"writers\": 2, \"commit_seconds\": 1");
        var environment = new Dictionary<string, string> { ["BATCH_SIZE"] = "32" };
        var random = new Random(11);
        var kills = new List<string>();
        for (var shard = 0; shard < 2; shard++)
        {
            for (var attempt = 0; kills.Count < 3 * (shard + 1) && attempt < 20; attempt++)
            {
                using var cli = new CliProcess(config, environment, "--shards", "2", "--shard", shard.ToString(System.Globalization.CultureInfo.InvariantCulture));
                try
                {
                    cli.WaitForOutput("Processed ", 1, TimeSpan.FromMinutes(2));
                }
                catch (TimeoutException) when (cli.HasExited)
                {
                    continue;
                }
                Thread.Sleep(random.Next(0, 2500));
                if (!cli.HasExited)
                {
                    cli.KillHard();
                    kills.Add($"shard {shard}");
                }
            }
            var (shardExit, _, shardError) = CliProcess.Run(config, environment, "--shards", "2", "--shard", shard.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(shardExit == 0, shardError);
        }
        // The merge is one transaction: killed at any moment, it leaves the output as it was (nothing, or an earlier
        // merge's every row, which --overwrite replaces in the same transaction), and a rerun finishes it.
        for (var attempt = 0; kills.Count < 10 && attempt < 40; attempt++)
        {
            using var merge = CliProcess.Start(config, "merge", "--shards", "2", "--overwrite");
            Thread.Sleep(random.Next(100, 1500));
            if (!merge.HasExited)
            {
                merge.KillHard();
                // DuckDB makes the file when the merge opens it, before the transaction that would make the table:
                // a file with no table is the "nothing" state too.
                var tableThere = File.Exists(Output)
                    && (long)TestDatabase.Query(Output, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'embedded'")[0][0]! == 1;
                var rowsAfterKill = tableThere ? TestDatabase.CountRows(Output, "embedded") : 0;
                Assert.True(rowsAfterKill is 0 || rowsAfterKill == rows.Count, $"a killed merge left {rowsAfterKill} rows");
                kills.Add($"merge ({rowsAfterKill} rows)");
            }
        }
        log.WriteLine($"kills: {string.Join(", ", kills)}");

        var (exitCode, _, stderr) = CliProcess.RunCommand(config, "merge", "--shards", "2");

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(10, kills.Count);
        Assert.Contains(kills, k => k.StartsWith("merge", StringComparison.Ordinal));
        var written = TestDatabase.Query(Output, "SELECT id, vector FROM embedded ORDER BY id");
        Assert.Equal(rows.Select(r => (object)r.Id).Order(), written.Select(r => r[0]!));
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { MaxBatchSize = 64 });
        var byId = rows.ToDictionary(r => r.Id, r => r.Text);
        var sample = written.Where((_, i) => i % 10 == 0).ToList();
        var uninterrupted = await generator.GenerateAsync(sample.Select(r => byId[(long)r[0]!]));
        var lowest = sample.Select((row, i) => VectorMath.Cosine(((List<float>)row[1]!).ToArray(), uninterrupted[i].Vector.Span)).Min();
        Assert.True(lowest >= 0.9999, $"lowest cosine {lowest}");
    }

    [Fact]
    public void A_run_that_will_not_fit_beside_its_output_is_refused_in_one_line_before_anything_is_written()
    {
        // 10,000 descriptions: ~20 MB of output (384 floats and ~400 characters a row), for an 8 MB disk.
        WriteInput(Corpus.Read(10_000));
        var small = Directory.CreateDirectory(_folder.File("small")).FullName;
        var (mounted, mountLog) = Shell.Run("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", small], TimeSpan.FromSeconds(30));
        Assert.True(mounted == 0, $"this test mounts an 8 MB tmpfs, which needs root: {mountLog}");
        try
        {
            string Config(string extra)
            {
                var config = _folder.File("config.json");
                File.WriteAllText(config, $$"""
                    { "input_db_path": "input.duckdb", "output_db_path": "small/output.duckdb", "input_table": "texts",
                      "id_column": "id", "text_column": "text", "output_table": "embedded"{{extra}} }
                    """);
                return config;
            }

            var (exitCode, _, stderr) = CliProcess.Run(Config(""));

            Assert.Equal(1, exitCode);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.StartsWith("error: output_db_path: 10,000 rows need about ", stderr, StringComparison.Ordinal);
            Assert.Contains("MB is free there", stderr, StringComparison.Ordinal);
            Assert.Contains("check_disk_space", stderr, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(small));

            // The estimate is the rows this run writes: a hundred of them fit.
            var (fewExit, _, fewError) = CliProcess.Run(Config(", \"max_rows\": 100"));
            Assert.True(fewExit == 0, fewError);
            Assert.Equal(100, TestDatabase.CountRows(Path.Combine(small, "output.duckdb"), "embedded"));
        }
        finally
        {
            Shell.Run("umount", [small], TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task A_full_disk_stops_with_one_line_keeps_committed_rows_and_the_next_run_finishes()
    {
        var rows = Corpus.Read(900);
        var input = WriteInput(rows);
        var inputHash = SHA256.HashData(File.ReadAllBytes(input));
        // Two writers, each committing the windows it holds every second: some commit before the disk is full.
        var config = WriteConfig(", \"batches_per_window\": 2, \"writers\": 2, \"commit_seconds\": 1");

        // A 1.5 MB file-size limit plays the full disk: writes past it fail with EFBIG (SIGXFSZ ignored). .NET's
        // W^X double mapping uses files the limit also caps, so it is off for this run.
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder.Path };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"trap '' XFSZ; ulimit -f 1500; exec dotnet '{Path.Combine(AppContext.BaseDirectory, "embed.dll")}' --config config.json");
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        start.Environment["BATCH_SIZE"] = "32";
        using var limited = Process.Start(start)!;
        var stdout = limited.StandardOutput.ReadToEndAsync();
        var stderr = (await limited.StandardError.ReadToEndAsync()).Trim();
        Assert.True(limited.WaitForExit(180_000));

        Assert.Equal(1, limited.ExitCode);
        Assert.Single(stderr.Split('\n'));
        Assert.StartsWith("error: output_db_path: Writing ", stderr, StringComparison.Ordinal);
        Assert.Contains("File too large", stderr, StringComparison.Ordinal);
        Assert.Contains("every row committed so far is kept", stderr, StringComparison.Ordinal);
        Assert.Contains("Processed ", await stdout, StringComparison.Ordinal);

        var (exitCode, resumed, error) = CliProcess.Run(config, new Dictionary<string, string> { ["BATCH_SIZE"] = "32" });
        Assert.True(exitCode == 0, error);
        Assert.Matches(@"already present\s+[1-9]", resumed);
        Assert.Equal(rows.Select(r => (object)r.Id), TestDatabase.Query(Output, "SELECT id FROM embedded ORDER BY id").Select(r => r[0]!));
        Assert.Equal(inputHash, SHA256.HashData(File.ReadAllBytes(input)));
        Assert.False(File.Exists(Output + ".wal"));
    }

    [Fact]
    public void Texts_over_256_tokens_are_truncated_and_counted_and_null_texts_get_a_null_vector()
    {
        WriteInput([(1, "short"), (2, string.Join(' ', Enumerable.Repeat("word", 1000))), (3, ""), (4, "another long one " + string.Join(' ', Enumerable.Range(0, 400)))]);
        using (var connection = new DuckDBConnection($"Data Source={_folder.File("input.duckdb")}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO texts VALUES (5, NULL)";
            command.ExecuteNonQuery();
        }

        var (exitCode, stdout, stderr) = CliProcess.Run(WriteConfig());

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("truncated texts       2 ", stdout, StringComparison.Ordinal);
        Assert.Contains("NULL texts            1 ", stdout, StringComparison.Ordinal);
        Assert.Equal([false, false, false, false, true], TestDatabase.Query(Output, "SELECT vector IS NULL FROM embedded ORDER BY id").Select(r => (bool)r[0]!));
    }

    [Fact]
    public void A_corrupt_model_file_is_one_line_naming_the_model_folder()
    {
        WriteInput([(1, "a")]);
        var model = Directory.CreateDirectory(_folder.File("model")).FullName;
        File.WriteAllText(Path.Combine(model, "model.onnx"), "not an onnx graph");
        File.WriteAllText(Path.Combine(model, "vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n");

        var (exitCode, _, stderr) = CliProcess.Run(WriteConfig(", \"model_path\": \"model\""));

        Assert.Equal(1, exitCode);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith($"error: model_path: {model}: ONNX Runtime cannot load it", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Output));
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_to_an_error()
    {
        WriteInput([(1, "a")]);
        var config = WriteConfig();
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"text_column\": \"text\"", "\"text_column\": \"txet\"", StringComparison.Ordinal));

        var (quiet, _, terse) = CliProcess.Run(config);
        var (loud, _, verbose) = CliProcess.Run(config, null, "--verbose");

        Assert.Equal(1, quiet);
        Assert.Equal(1, loud);
        Assert.DoesNotContain("   at ", terse, StringComparison.Ordinal);
        Assert.Contains("   at DuckEmbed.", verbose, StringComparison.Ordinal);
    }
}
