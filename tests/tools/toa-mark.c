// SPDX-License-Identifier: GPL-2.0
/*
 * toa-mark: execute one icount marker (toa-mark.h), so that a shell can
 * bracket any command with the icount plugin's counting window:
 *   toa-mark; CMD; toa-mark
 * toa-mark N executes N markers back to back: "toa-mark 2" is an empty
 * window, the plugin's own offset.
 */
#include <stdlib.h>

#include "toa-mark.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;

	while (n-- > 0)
		toa_mark();
	return 0;
}
