# Splits a server's CPU time by what it was doing, from call stacks:
#
#   perf script -i perf.data -F ip,sym | awk -v requests=N -v hz=999 -f perfsplit.awk
#
# prints "category<TAB>µs of CPU per request" lines. Each sample (a stack,
# leaf first, samples separated by blank lines) goes to the first category
# whose frame it contains, in the order below, so the Redis call counts as
# Redis even though it runs inside the handler. It knows Senda's handler
# (bot.(*Service).handleMessage and what it calls) and the baseline's
# (echo's FormParams, go-redis's pipeline).

function classify(s) {
	if (s ~ /gcBgMarkWorker|runtime\.bgsweep|runtime\.bgscavenge/) return "Go GC (background workers)"
	if (s ~ /go-redis\/v9\.\(\*baseClient\)\.(_process|processPipeline|generalProcessPipeline)|go-redis\/v9\.\(\*Pipeline\)\.Exec|go-redis\/v9\.\(\*Script\)\.Run/) return "handler: Redis call (client, syscalls)"
	if (s ~ /echo\/v4\.\(\*Echo\)\.ServeHTTP/) {
		if (s ~ /readSigned|FormParams/) return "handler: read body, parse form (Senda: and check signature)"
		if (s ~ /ident\.\(\*Hasher\)|bot\.\(\*Hasher\)/) return "handler: HMACs of sender and MessageSid"
		if (s ~ /flows\.\(\*Engine\)/) return "handler: conversation engine"
		if (s ~ /stateCache/) return "handler: session cache"
		if (s ~ /\(\*metrics\)/) return "handler: metrics"
		if (s ~ /twimlReply|echo\/v4\.\(\*context\)\.Blob/) return "handler: write reply"
		return "handler: other"
	}
	if (s ~ /net\/http\.\(\*conn\)\.serve/) return "net/http: read request, write response"
	if (s ~ /runtime\.(mcall|schedule|findRunnable|mstart|sysmon)/) return "Go scheduler, netpoll, timers"
	return "other"
}

function flush() {
	if (stack != "") {
		n[classify(stack)]++
		total++
	}
	stack = ""
}

/^[ \t]*$/ { flush(); next }
/^[ \t]/ {
	sub(/^[ \t]+[0-9a-f]+ /, "")
	stack = stack " " $0
	next
}
{ flush() } # a header line, when perf script prints one

END {
	flush()
	if (requests <= 0 || total == 0) exit
	for (k in n) printf "%s\t%.1f\n", k, n[k] / hz / requests * 1e6
	printf "total\t%.1f\n", total / hz / requests * 1e6
}
