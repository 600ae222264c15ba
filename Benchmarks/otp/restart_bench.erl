%% OTP comparison for case 1 of Benchmarks/SupervisionBenchmarks (in-process crash -> new
%% instance running). OTP's own `supervisor`, one_for_one, intensity 1000000 in 3600 s, one
%% permanent worker that crashes (exit(crash)) right after each start has completed
%% (proc_lib:init_ack, then a message to itself). Latency = erlang:monotonic_time(nanosecond)
%% at the new incarnation's first instruction - the same clock just before the previous
%% incarnation's exit/1. 1,000 warm-up crashes, then 10,000 measured. Prints one line:
%%   RESULT otp_crash n=10000 median_us=.. p99_us=.. min_us=..
%% The primary logger level is `none` (no CRASH/SUPERVISOR REPORTs are formatted); with the
%% argument `logged` OTP's default logging stays on (every report is formatted in the crashing
%% process and the supervisor; the handler prints them to stdout until its overload protection
%% starts dropping) and the line is `RESULT otp_crash_logged ...`. Exits 1 (message on
%% stderr) if something fails or it is not done in 30 s.
%%   erlc -o DIR restart_bench.erl && erl -noshell -pa DIR -s restart_bench main [logged]
-module(restart_bench).
-behaviour(supervisor).
-export([main/0, main/1, init/1, start_crasher/0, crasher/0]).
-define(TAB, restart_bench).
-define(WARMUP, 1000).
-define(COUNT, 10000).

main() -> main([]).
main(Args) ->
    try run(lists:member(logged, Args), lists:member(short, Args))
    catch Class:Reason -> fail("~p:~p", [Class, Reason])
    end.

%% Short: OTP keeps every restart of the period in a list that add_restart/3 walks on each
%% restart, so 11,000 restarts in one 3600 s window cost O(n) each. With `short` the intensity
%% is 100: the supervisor gives up every 101st crash and is started afresh (those crashes are
%% not sampled), so its list stays short: OTP's restart cost without that growth.
run(Logged, Short) ->
    Logged orelse logger:set_primary_config(level, none),
    process_flag(trap_exit, true),   % a dying supervisor must not kill us silently
    ets:new(?TAB, [named_table, public, set]),
    ets:insert(?TAB, [{count, 0}, {parent, self()},
                      {intensity, case Short of true -> 100; false -> 1000000 end}]),
    supervise(Short),
    Sorted = lists:sort([L || {I, L} <- ets:tab2list(?TAB), is_integer(I), I > ?WARMUP]),
    N = length(Sorted),
    N =:= ?COUNT orelse fail("~b samples, expected ~b", [N, ?COUNT]),
    Us = fun(K) -> lists:nth(K, Sorted) / 1000 end,  % K is 1-based; same picks as the Swift side
    io:format("RESULT ~s n=~b median_us=~.1f p99_us=~.1f min_us=~.1f~n",
              [case {Logged, Short} of {true, _} -> "otp_crash_logged"; {_, true} -> "otp_crash_short"; _ -> "otp_crash" end,
               N, Us(N div 2 + 1), Us(min(N, trunc(N * 0.99) + 1)), Us(1)]),
    halt(0).

supervise(Short) ->
    ets:delete(?TAB, crashed_at),   % the first crash of a new supervisor is not a sample
    {ok, Sup} = supervisor:start_link(?MODULE, []),
    receive
        done -> ok;
        {'EXIT', Sup, shutdown} when Short -> supervise(Short);
        {'EXIT', _, Why} -> fail("supervisor exited: ~p", [Why])
    after 30000 -> fail("not done after 30 s", [])
    end.

fail(Format, Args) ->
    io:format(standard_error, "restart_bench: " ++ Format ++ "~n", Args),
    halt(1).

init([]) ->
    [{_, Intensity}] = ets:lookup(?TAB, intensity),
    {ok, {#{strategy => one_for_one, intensity => Intensity, period => 3600},
          [#{id => crasher, start => {?MODULE, start_crasher, []},
             restart => permanent, shutdown => brutal_kill, type => worker}]}}.

start_crasher() -> proc_lib:start_link(?MODULE, crasher, []).

crasher() ->
    Started = erlang:monotonic_time(nanosecond),
    proc_lib:init_ack({ok, self()}),   % start_link returns {ok, Pid} to the supervisor
    More = case ets:lookup(?TAB, crashed_at) of
               [] -> true;
               [{_, Crashed}] ->
                   I = ets:update_counter(?TAB, count, 1),
                   ets:insert(?TAB, {I, Started - Crashed}),
                   I < ?WARMUP + ?COUNT orelse begin [{_, P}] = ets:lookup(?TAB, parent), P ! done, false end
           end,
    More orelse receive never -> ok end,   % done: stay up, like the Swift side
    self() ! crash,
    receive crash -> ok end,
    ets:insert(?TAB, {crashed_at, erlang:monotonic_time(nanosecond)}),
    exit(crash).
