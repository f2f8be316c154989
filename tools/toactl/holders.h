/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TOACTL_HOLDERS_H
#define TOACTL_HOLDERS_H

/* toactl holders: print what keeps xt_TOA loaded; 0, or 1 on failure. */
int cmd_holders(void);

#endif
