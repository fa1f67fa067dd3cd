/* Small inputs in the real datasets' exact formats, shared by the dataset tests and the
 * fuzz harnesses (plain C: no cmocka). */
#ifndef APG_DS_SAMPLES_H
#define APG_DS_SAMPLES_H

/* The header line of IJCAI-18's round1_ijcai_18_train_20180301.txt (27 columns). */
#define IAAC_HEADER "instance_id item_id item_category_list item_property_list item_brand_id item_city_id " \
    "item_price_level item_sales_level item_collected_level item_pv_level user_id user_gender_id " \
    "user_age_level user_occupation_id user_star_level context_id context_timestamp context_page_id " \
    "predict_category_property shop_id shop_review_num_level shop_review_positive_rate shop_star_level " \
    "shop_score_service shop_score_delivery shop_score_description is_trade"

/* Three IJCAI-18 rows in the file's exact format (CRLF; the third row has an empty
 * category list and lacks a trailing line end). */
#define IAAC_SAMPLE_ROWS \
    "108641074714126964 3412720377098676069 7908382889764677758;5755694407684602296 " \
    "2072967855524022579;5131280576272319091 1975590437749032938 3948283326616421003 3 3 4 14 " \
    "24666666000000000000 -1 1003 2005 3006 282924576738839389 1537236544 4006 " \
    "5755694407684602296:-1;7908382889764677758:-1 6765930309048922341 4 1.000000 5002 1.000000 " \
    "1.000000 1.000000 0\r\n" \
    "5754713551599725161 3412720377098676069 7908382889764677758;509660095530134768 -1 -1 " \
    "3948283326616421003 5 6 10 17 24666666000000000001 0 1004 2002 3007 4007760784460659765 " \
    "1537300000 4004 -1 6765930309048922341 14 0.990000 5012 0.975000 0.980000 0.970000 1\r\n" \
    "842679481291040981 3412720377098676070  2072967855524022579 1975590437749032938 " \
    "548352491538989440 3 3 4 14 24666666000000000000 -1 1003 2005 3006 4884875192608989870 " \
    "1537236900 4006 -1 6765930309048922341 4 1.000000 5002 1.000000 1.000000 1.000000 0"

#endif
